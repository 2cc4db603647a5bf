/**
 * The body of a session worker thread: one onnxruntime session, one batch at
 * a time. onnxruntime-node's `session.run` blocks its thread, so running it
 * here keeps the main thread free to take requests and prepare the next batch
 * while this one runs. Vectors go back as one transferred Float32Array.
 */
import { workerData } from 'node:worker_threads'
import type { ProviderSpec } from '../config.ts'
import type { ModelManifest } from '../model/manifest.ts'
import { OnnxEmbedder } from './onnx-embedder.ts'
import { createSession, type SessionSettings } from './onnx-session.ts'
import type { PaddedBatch } from './padded-batch.ts'
import { serveTasks } from '../threads/thread-body.ts'

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
}

await serveTasks<PaddedBatch, SessionWorkerResult>(
  async () => {
    const data = workerData as SessionWorkerData
    const session = await createSession(data.onnxPath, data.spec, data.settings)
    const embedder = new OnnxEmbedder(session, data.manifest)
    return async (batch) => {
      const { vectors, norms } = await embedder.run(batch)
      const width = vectors[0]?.length ?? 0
      const flat = new Float32Array(vectors.length * width)
      vectors.forEach((vector, row) => flat.set(vector, row * width))
      return { vectors: flat, norms, width }
    }
  },
  (result) => [result.vectors.buffer as ArrayBuffer, result.norms.buffer as ArrayBuffer],
)
