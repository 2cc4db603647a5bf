/**
 * What the core needs from a place that runs the model (TEI's backend
 * interface): run one padded batch, say whether it still can, shut down.
 * The node's implementation is an onnxruntime session in a worker thread
 * (session-worker-backend.ts); several of them are served round-robin.
 */
import type { ApiError } from '../../shared/errors.ts'
import type { PaddedBatch } from './padded-batch.ts'

/** What one batch gives: unit-length vectors, and each vector's norm before normalization. */
export interface EmbeddedBatch {
  vectors: Float32Array[]
  /** The pooled vector's L2 norm; NaN when it had a NaN or infinite component. */
  norms: Float32Array
  /** Milliseconds the device worked on the batch, when the backend knows (its thread's own time). */
  busyMs?: number
}

/**
 * A backend runs the batches it is given one at a time, in the order given: the scheduler may
 * hand it the next one while it runs one (a batch sent ahead), and counts on that order.
 */
export interface EmbeddingBackend {
  /** Where it runs, e.g. `cpu` or `cuda:1`. */
  readonly label: string
  /** False while it cannot run batches: its thread died and is being restarted. */
  readonly alive: boolean
  /** One unit-length vector per row, in row order, with its norm before normalization. */
  embed(batch: PaddedBatch): Promise<EmbeddedBatch>
  close(): Promise<void>
}

/**
 * The batch never ran: it waited in a session's inbox behind one the session died running. Its
 * inputs did nothing wrong and may go back to the queue; `retry` is the 503 to answer if not.
 */
export class BatchNotRunError extends Error {
  constructor(readonly retry: ApiError) {
    super(retry.message)
    this.name = 'BatchNotRunError'
  }
}
