/**
 * The body of a session worker thread: one onnxruntime session, one batch at
 * a time. onnxruntime-node's `session.run` blocks its thread, so running it
 * here keeps the main thread free to take requests and prepare the next batch
 * while this one runs. Vectors go back as one transferred Float32Array.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { ProviderSpec } from '../config.ts'
import type { ModelManifest } from '../model/manifest.ts'
import { OnnxEmbedder } from './onnx-embedder.ts'
import { createSession, type SessionSettings } from './onnx-session.ts'
import type { PaddedBatch } from './padded-batch.ts'

export interface SessionWorkerData {
  onnxPath: string
  manifest: ModelManifest
  spec: ProviderSpec
  settings: SessionSettings
}

export type SessionWorkerReply =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'done'; id: number; vectors: Float32Array; norms: Float32Array; width: number }
  | { type: 'error'; id: number; message: string }

export interface SessionWorkerTask {
  id: number
  batch: PaddedBatch
}

const port = parentPort!
const data = workerData as SessionWorkerData

try {
  const session = await createSession(data.onnxPath, data.spec, data.settings)
  const embedder = new OnnxEmbedder(session, data.manifest)
  port.on('message', async ({ id, batch }: SessionWorkerTask) => {
    try {
      const { vectors, norms } = await embedder.run(batch)
      const width = vectors[0]?.length ?? 0
      const flat = new Float32Array(vectors.length * width)
      vectors.forEach((vector, row) => flat.set(vector, row * width))
      port.postMessage(
        { type: 'done', id, vectors: flat, norms, width } satisfies SessionWorkerReply,
        [flat.buffer, norms.buffer as ArrayBuffer],
      )
    } catch (err) {
      port.postMessage({
        type: 'error',
        id,
        message: (err as Error).message,
      } satisfies SessionWorkerReply)
    }
  })
  port.postMessage({ type: 'ready' } satisfies SessionWorkerReply)
} catch (err) {
  port.postMessage({ type: 'failed', message: (err as Error).message } satisfies SessionWorkerReply)
}
