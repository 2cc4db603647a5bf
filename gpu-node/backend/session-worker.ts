/**
 * The body of a session worker thread: one onnxruntime session, one batch at
 * a time (a second may wait in its inbox: core/batch-scheduler.ts sends one ahead). onnxruntime-node's `session.run` blocks its thread, so running it
 * here keeps the main thread free to take requests and prepare the next batch
 * while this one runs. Vectors go back as one transferred Float32Array, with
 * the time the device was busy on the batch.
 *
 * For a `sim:` provider the thread holds a SIMULATED device instead
 * (simulated-device.ts): it blocks for the preset's cost and answers stand-in vectors.
 *
 * The README's request walk: step 15.
 */
import { workerData } from 'node:worker_threads'
import type { ProviderSpec } from '../config.ts'
import type { ModelManifest } from '../model/manifest.ts'
import type { EmbeddedBatch } from './backend.ts'
import { OnnxEmbedder } from './onnx-embedder.ts'
import { createSession, type SessionSettings } from './onnx-session.ts'
import type { PaddedBatch } from './padded-batch.ts'
import { serveTasks } from '../threads/thread-body.ts'
import { batchCostMs, blockFor, devicePreset, standInVectors } from './simulated-device.ts'

export interface SessionWorkerData {
  onnxPath: string
  manifest: ModelManifest
  spec: ProviderSpec
  settings: SessionSettings
}

/** One batch's vectors, row after row, and each row's norm before normalization. */
export interface SessionWorkerResult {
  vectors: Float32Array
  norms: Float32Array
  width: number
  /** How long the device worked on it: session.run's time, or the simulated device's cost. */
  busyMs: number
}

/** Runs one batch on what this thread holds. */
type Device = (batch: PaddedBatch) => Promise<EmbeddedBatch>

async function openDevice(data: SessionWorkerData): Promise<Device> {
  const { spec } = data
  if (spec.name === 'sim') {
    const preset = devicePreset(spec.preset)
    return async (batch) => {
      // Busy for the modelled time, not for however late a shared core wakes the thread; making
      // the stand-ins is this thread's work, as reading results back is.
      const busyMs = batchCostMs(preset, batch.rows, batch.seq)
      blockFor(busyMs)
      return { ...standInVectors(batch, data.manifest.dimensions), busyMs }
    }
  }
  const session = await createSession(data.onnxPath, spec, data.settings)
  const embedder = new OnnxEmbedder(session, data.manifest)
  return (batch) => embedder.run(batch)
}

await serveTasks<PaddedBatch, SessionWorkerResult>(
  async () => {
    const device = await openDevice(workerData as SessionWorkerData)
    // One batch at a time: the scheduler may send the next one ahead, to wait in this thread's
    // inbox, and an awaited session.run must not let it start beside the running one.
    let previous: Promise<unknown> = Promise.resolve()
    return (batch) => {
      const result = previous.then(async () => {
        const started = performance.now()
        const { vectors, norms, busyMs = performance.now() - started } = await device(batch)
        const width = vectors[0]?.length ?? 0
        const flat = new Float32Array(vectors.length * width)
        vectors.forEach((vector, row) => flat.set(vector, row * width))
        return { vectors: flat, norms, width, busyMs }
      })
      previous = result.catch(() => {})
      return result
    }
  },
  (result) => [result.vectors.buffer as ArrayBuffer, result.norms.buffer as ArrayBuffer],
)
