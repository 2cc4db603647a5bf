/**
 * One node's round trip as this isolate has measured it: the median of its recent samples,
 * each the time from sending a call to its response headers less the time the node says it
 * spent on it (its x-total-time: tokenizing, queueing, inference), or the time a /ready probe
 * took. Neither the edge's own work on the call (JSON, signatures) nor reading and checking a
 * large answer is in it, so a large batch does not look like distance. A node that is full
 * says so with 429 and Retry-After, which spills misses over to the next region
 * (embed-on-pool.ts) without waiting for an estimate.
 *
 * The median, of at most MEDIAN_OF samples no older than MAX_AGE_MS, and none until there are
 * MIN_SAMPLES: one call that met a pause, a busy machine or a new connection does not move a
 * key to another region, while a node that stays slow for most of the window does.
 */

/** Samples kept; the estimate follows a change once more than half of them show it. */
const MEDIAN_OF = 5
/** Fewer samples than this say nothing yet: the distance alone ranks the region. */
const MIN_SAMPLES = 3
/** Older samples are dropped: a node back from an outage is judged on how it is now. */
const MAX_AGE_MS = 60_000

export class RoundTrip {
  private samples: { ms: number; at: number }[] = []

  record(ms: number, now = Date.now()): void {
    if (!Number.isFinite(ms)) return
    this.samples.push({ ms: Math.max(0, ms), at: now })
    if (this.samples.length > MEDIAN_OF) this.samples.shift()
  }

  /** The median of the recent samples in ms (the lower middle of an even count); null with too few. */
  estimateMs(now = Date.now()): number | null {
    this.samples = this.samples.filter((sample) => now - sample.at <= MAX_AGE_MS)
    if (this.samples.length < MIN_SAMPLES) return null
    const sorted = this.samples.map((sample) => sample.ms).sort((a, b) => a - b)
    return sorted[(sorted.length - 1) >> 1]
  }
}
