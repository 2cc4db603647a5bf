/**
 * What the core needs from a place that runs the model (TEI's backend
 * interface): run one padded batch, say whether it still can, shut down.
 * The node's implementation is an onnxruntime session in a worker thread
 * (session-worker-backend.ts); several of them are served round-robin.
 */
import type { PaddedBatch } from './padded-batch.ts'

export interface EmbeddingBackend {
  /** Where it runs, e.g. `cpu` or `cuda:1`. */
  readonly label: string
  /** False once the backend can no longer run batches (its thread died). */
  readonly alive: boolean
  /** One unit-length vector per row, in row order. */
  embed(batch: PaddedBatch): Promise<Float32Array[]>
  close(): Promise<void>
}
