/**
 * The queue of inputs waiting for inference, and how a batch is picked from
 * it (TEI's queue, with length grouping):
 *
 * - the oldest input always goes into the next batch, so nothing waits forever;
 * - the batch is chosen among the oldest `LOOKAHEAD × maxBatchRequests`
 *   inputs (at most LOOKAHEAD_LIMIT): they are split, in length order, into the batches that cost least
 *   in all (each batch costs its padded tokens plus a fixed per-run overhead,
 *   see batch-cost.ts), and the batch holding the oldest input is taken. So
 *   inputs of similar length share a batch, and padding is only accepted where
 *   it is cheaper than another run;
 * - a batch never exceeds `maxBatchRequests` inputs, nor padded length × batch
 *   size `maxBatchTokens`, nor the attention memory budget (an input longer
 *   than either on its own runs alone).
 */
import type { AttentionBudget } from './attention-memory.ts'

export interface BatchLimits {
  maxBatchTokens: number
  maxBatchRequests: number
  /** Absent: no attention memory bound. */
  attention?: AttentionBudget
}

/**
 * How far past the oldest input the queue looks for inputs of similar length: this many
 * batches' worth of inputs, but no more than LOOKAHEAD_LIMIT (choosing costs
 * window × maxBatchRequests steps) unless one batch alone is larger.
 */
export const LOOKAHEAD = 4
export const LOOKAHEAD_LIMIT = 256

/** An input in the queue: the caller's item, its arrival order and its length. */
export interface Queued<T> {
  readonly item: T
  readonly order: number
  readonly tokens: number
}

export class BatchQueue<T> {
  private slots: Queued<T>[] = []
  private nextOrder = 0
  private tokenCount = 0

  constructor(private readonly limits: BatchLimits) {}

  get size(): number {
    return this.slots.length
  }

  /** Tokens waiting (unpadded). */
  get tokens(): number {
    return this.tokenCount
  }

  push(items: T[], tokensOf: (item: T) => number): Queued<T>[] {
    const added = items.map((item) => ({ item, order: this.nextOrder++, tokens: tokensOf(item) }))
    for (const slot of added) {
      this.slots.push(slot)
      this.tokenCount += slot.tokens
    }
    return added
  }

  /** Returns inputs taken by `nextBatch` (a prepared batch being re-formed), in their old place. */
  putBack(taken: Queued<T>[]): void {
    if (taken.length === 0) return
    const back = [...taken].sort((a, b) => a.order - b.order)
    const merged: Queued<T>[] = []
    let i = 0
    for (const slot of this.slots) {
      while (i < back.length && back[i].order < slot.order) merged.push(back[i++])
      merged.push(slot)
    }
    while (i < back.length) merged.push(back[i++])
    this.slots = merged
    for (const slot of taken) this.tokenCount += slot.tokens
  }

  /** Removes the inputs `matches` picks (e.g. those whose client has gone); returns them. */
  remove(matches: (item: T) => boolean): Queued<T>[] {
    const removed: Queued<T>[] = []
    this.slots = this.slots.filter((slot) => {
      if (!matches(slot.item)) return true
      removed.push(slot)
      this.tokenCount -= slot.tokens
      return false
    })
    return removed
  }

  /**
   * Takes the next batch out of the queue (empty when the queue is). Rows come oldest first.
   * @param overheadTokens the fixed cost of one run, in padded tokens (BatchCostModel)
   */
  nextBatch(overheadTokens: number): Queued<T>[] {
    if (this.slots.length === 0) return []
    const { maxBatchTokens, maxBatchRequests, attention } = this.limits
    const lookahead = Math.max(
      maxBatchRequests,
      Math.min(LOOKAHEAD * maxBatchRequests, LOOKAHEAD_LIMIT),
    )
    const window = this.slots.slice(0, lookahead)
    const byLength = [...window].sort((a, b) => a.tokens - b.tokens || a.order - b.order)
    const n = byLength.length
    // Batches are contiguous in length order; [from, to) costs its padded tokens plus a run.
    const cost = (from: number, to: number) => {
      const size = to - from
      const length = byLength[to - 1].tokens
      const padded = size * length
      if (size > maxBatchRequests) return Infinity
      if (size > 1 && (padded > maxBatchTokens || (attention && !attention.fits(size, length))))
        return Infinity
      return overheadTokens + padded
    }
    // before[i]: least cost of running byLength[0 … i-1]; after[j]: of byLength[j …].
    const before = new Float64Array(n + 1).fill(Infinity)
    const after = new Float64Array(n + 1).fill(Infinity)
    before[0] = 0
    after[n] = 0
    for (let to = 1; to <= n; to++) {
      for (let from = to - 1; from >= Math.max(0, to - maxBatchRequests); from--)
        before[to] = Math.min(before[to], before[from] + cost(from, to))
    }
    for (let from = n - 1; from >= 0; from--) {
      for (let to = from + 1; to <= Math.min(n, from + maxBatchRequests); to++)
        after[from] = Math.min(after[from], cost(from, to) + after[to])
    }
    // The oldest input's batch: the one that lets everything visible run cheapest, the
    // larger one on a tie (fewer runs for the same cost).
    const head = byLength.indexOf(window[0])
    let best = { from: head, to: head + 1, total: Infinity }
    for (let from = Math.max(0, head + 1 - maxBatchRequests); from <= head; from++) {
      for (let to = head + 1; to <= Math.min(n, from + maxBatchRequests); to++) {
        const total = before[from] + cost(from, to) + after[to]
        const larger = to - from > best.to - best.from
        if (total < best.total || (total === best.total && larger)) best = { from, to, total }
      }
    }
    const batch = byLength.slice(best.from, best.to).sort((a, b) => a.order - b.order)
    const taken = new Set(batch)
    this.slots = this.slots.filter((slot) => !taken.has(slot))
    for (const slot of batch) this.tokenCount -= slot.tokens
    return batch
  }
}
