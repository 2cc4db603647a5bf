/**
 * Baseline (b) of bench:node's simulated section: the naive server on a SIMULATED device
 * (BENCH_SIM_PRESET, gpu-node/backend/simulated-device.ts). One device call per request, batch
 * of one, the device serialized as one GPU stream is (serial-device.ts), tokenized on the event
 * loop; the same cost model and stand-in vectors as the node on `sim:`. `GET /device-busy`
 * says how long the device has been busy, for its busy %.
 */
import { padBatch } from '../../../gpu-node/backend/padded-batch.ts'
import {
  batchCostMs,
  devicePreset,
  standInVectors,
} from '../../../gpu-node/backend/simulated-device.ts'
import { baselineEnv, createBaselineApp, serveBaseline } from './baseline-app.ts'
import { loadReferenceTokenizer } from './reference-tokenizer.ts'
import { SerialDevice } from './serial-device.ts'

const { modelDir, secret } = baselineEnv()
const preset = devicePreset(process.env.BENCH_SIM_PRESET ?? '')
const { model, encode } = await loadReferenceTokenizer(modelDir)
const { manifest } = model
const device = new SerialDevice()

const app = createBaselineApp(secret, async (text) => {
  const ids = encode(text)
  await device.run(batchCostMs(preset, 1, ids.length))
  const [vector] = standInVectors(padBatch([ids], manifest), manifest.dimensions).vectors
  return { vector, tokens: ids.length }
})
app.get('/device-busy', (c) => c.json({ busy_seconds: device.busySeconds }))
serveBaseline(`naive server on a SIMULATED ${preset.name}`, app)
