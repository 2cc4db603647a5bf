/**
 * One node's round trip as this isolate has measured it: the median of its last few samples,
 * each the time a call took less the time the node says it spent on it (so a large
 * batch, or one queued behind the request's own other parts, does not look like distance), or
 * the time a /ready probe took. A node that is full says so with 429 and Retry-After, which
 * spills misses over to the next region (embed-on-pool.ts) without waiting for an estimate. The median, not a mean: one call that
 * met a garbage-collection pause, or a busy machine, does not move a key to another region,
 * while a node that stays slow for most of the window does, within MEDIAN_OF / 2 + 1 samples.
 */

/** Samples kept; the estimate follows a change once more than half of them show it. */
const MEDIAN_OF = 5

export class RoundTrip {
  private readonly samples: number[] = []

  record(ms: number): void {
    if (!Number.isFinite(ms)) return
    this.samples.push(Math.max(0, ms))
    if (this.samples.length > MEDIAN_OF) this.samples.shift()
  }

  /** The median of the samples kept, in ms; null before the first one. */
  get estimateMs(): number | null {
    if (this.samples.length === 0) return null
    const sorted = [...this.samples].sort((a, b) => a - b)
    const middle = sorted.length >> 1
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }
}
