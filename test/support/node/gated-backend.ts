/**
 * A real session behind a gate that a test opens and closes. Batches that
 * reach a closed gate wait there, so a test can look at the queue, the
 * prepared batch and admission while a session is busy, without depending on
 * how fast the machine is. What runs, runs on the real session.
 */
import type { EmbeddedBatch, EmbeddingBackend } from '../../../gpu-node/backend/backend.ts'
import type { PaddedBatch } from '../../../gpu-node/backend/padded-batch.ts'

export class GatedBackend implements EmbeddingBackend {
  /** The real (unpadded) token rows of every batch that reached this session, in order. */
  readonly batches: number[][][] = []
  private closed = false
  private waiting: (() => void)[] = []
  private arrivals: (() => void)[] = []

  constructor(private readonly inner: EmbeddingBackend) {}

  get label(): string {
    return this.inner.label
  }

  get alive(): boolean {
    return this.inner.alive
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  /** Batches arriving from now on wait until `open()`. */
  hold(): void {
    this.closed = true
  }

  open(): void {
    this.closed = false
    for (const wake of this.waiting.splice(0)) wake()
  }

  /** Resolves once `count` batches in all have reached this session. */
  async reached(count: number): Promise<void> {
    while (this.batches.length < count) await new Promise<void>((r) => this.arrivals.push(r))
  }

  async embed(batch: PaddedBatch): Promise<EmbeddedBatch> {
    this.batches.push(realRows(batch))
    for (const wake of this.arrivals.splice(0)) wake()
    if (this.closed) await new Promise<void>((resolve) => this.waiting.push(resolve))
    return this.inner.embed(batch)
  }
}

function realRows(batch: PaddedBatch): number[][] {
  const rows: number[][] = []
  for (let b = 0; b < batch.rows; b++) {
    const row: number[] = []
    for (let t = 0; t < batch.seq; t++) {
      const at = b * batch.seq + t
      if (batch.attentionMask[at] !== 0n) row.push(Number(batch.inputIds[at]))
    }
    rows.push(row)
  }
  return rows
}
