/**
 * Baseline (b): what most Node code does with an embedding model. One `session.run` per
 * request, batch of one, tokenized on the event loop; the same tokenizer, pooling and
 * normalization as the node, the same session options. Run as its own process by main.ts.
 */
import * as ort from 'onnxruntime-node'
import { l2Normalize, poolBatch } from '../../../gpu-node/backend/pooling.ts'
import { baselineEnv, createBaselineApp, serveBaseline } from './baseline-app.ts'
import { buildFeeds } from './feeds.ts'
import { loadReferenceTokenizer } from './reference-tokenizer.ts'
import { benchSessionOptions, sessionSettingsFromEnv } from './session-options.ts'

const { modelDir, secret } = baselineEnv()
const { model, encode } = await loadReferenceTokenizer(modelDir)
const { manifest } = model
const session = await ort.InferenceSession.create(
  model.onnxPath,
  benchSessionOptions(sessionSettingsFromEnv()),
)

const app = createBaselineApp(secret, async (text) => {
  const ids = encode(text)
  const { feeds, mask, seq } = buildFeeds(session, manifest, [ids])
  const outputs = await session.run(feeds, [manifest.graph.output])
  const hidden = outputs[manifest.graph.output]
  const width = Number(hidden.dims.at(-1))
  const [vector] = poolBatch(
    manifest.pooling,
    hidden.data as Float32Array | Uint16Array,
    mask,
    1,
    seq,
    width,
  )
  hidden.dispose()
  return { vector: l2Normalize(vector), tokens: ids.length }
})
serveBaseline('naive server', app)
