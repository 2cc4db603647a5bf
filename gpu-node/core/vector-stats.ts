/**
 * What the node's vectors look like in production, before normalization: the
 * distribution of their L2 norms (te_vector_norm), how many came out NaN,
 * infinite or all zeros (te_vector_invalid), and a running centroid and
 * per-dimension variance over a decaying window. A changed model file, driver,
 * execution provider or quantization moves these before anyone notices the
 * vectors are different (docs/monitoring.md).
 *
 * Fed once per batch by the scheduler; O(dimensions) per vector.
 */
import type { EmbeddedBatch } from '../backend/backend.ts'
import type { NodeMetrics } from './metrics.ts'

/** About the last 10,000 vectors count: each new one weighs 1/10,000. */
export const STATS_WINDOW = 10_000

export class VectorStats {
  private readonly mean: Float64Array
  private readonly variance: Float64Array
  private seen = 0

  constructor(
    readonly dimensions: number,
    private readonly metrics?: NodeMetrics,
    private readonly window = STATS_WINDOW,
  ) {
    this.mean = new Float64Array(dimensions)
    this.variance = new Float64Array(dimensions)
  }

  /** Vectors seen so far (valid ones). */
  get count(): number {
    return this.seen
  }

  observe(batch: EmbeddedBatch): void {
    const started = performance.now()
    this.record(batch)
    this.metrics?.vectorMonitorDuration.inc((performance.now() - started) / 1000)
  }

  private record({ vectors, norms }: EmbeddedBatch): void {
    vectors.forEach((vector, row) => {
      const norm = norms[row]
      if (Number.isNaN(norm)) return this.metrics?.vectorInvalid.inc({ reason: 'nan_or_inf' })
      if (norm === 0) return this.metrics?.vectorInvalid.inc({ reason: 'zero' })
      this.metrics?.vectorNorm.observe(norm)
      this.seen++
      // Exponentially weighted mean and variance (West's update); the first vectors weigh
      // more, so the estimate is usable from the start.
      const weight = Math.max(1 / this.seen, 1 / this.window)
      for (let i = 0; i < this.dimensions; i++) {
        const x = vector[i] * norm
        const delta = x - this.mean[i]
        this.mean[i] += weight * delta
        this.variance[i] = (1 - weight) * (this.variance[i] + weight * delta * delta)
      }
    })
  }

  /** The running centroid of the pooled (unnormalized) vectors. */
  centroid(): Float64Array {
    return this.mean.slice()
  }

  /** The running per-dimension variance of the pooled vectors. */
  perDimensionVariance(): Float64Array {
    return this.variance.slice()
  }
}
