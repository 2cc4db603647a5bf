/**
 * The queue of inputs waiting for inference, and how a batch is picked from
 * it (TEI's queue, with length grouping):
 *
 * - inputs wait in fair order, not arrival order: each tenant (the tag the
 *   edge signs into the request) is served in turn by tokens, as start-time
 *   fair queueing serves flows. An input's place is the later of "now" (the
 *   place of the input last taken) and where its tenant's previous input
 *   ends: so one tenant's 2048 inputs queue one behind the other, and another tenant's single query arriving after them is placed
 *   beside the first of them, not behind the last. Inputs without a tenant
 *   share one;
 * - the first input in that order always goes into the next batch, so nothing
 *   waits forever;
 * - the batch is chosen among the first `LOOKAHEAD × maxBatchRequests`
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

/** An input in the queue: the caller's item, its place in fair order and its length. */
export interface Queued<T> {
  readonly item: T
  /** Its fair start: the queue's virtual time, in tokens, at which its tenant's turn comes. */
  readonly order: number
  /** Arrival, to order inputs of one place (and one tenant's inputs among themselves). */
  readonly arrival: number
  readonly tokens: number
  /** The tenant tag it was queued for ('' for none). */
  readonly tenant: string
}

/** Fair order, then arrival. */
const inOrder = <T>(a: Queued<T>, b: Queued<T>) => a.order - b.order || a.arrival - b.arrival

/** Tenants remembered at once; one whose inputs have all been taken is the same as a new one. */
const MAX_TENANT_MARKS = 10_000

export class BatchQueue<T> {
  private slots: Queued<T>[] = []
  private nextArrival = 0
  private tokenCount = 0
  /** The fair place of the last input taken: a tenant idle until now starts here. */
  private virtualTime = 0
  /** Where each tenant's last queued input ends, in virtual tokens. */
  private readonly tenantEnds = new Map<string, number>()

  constructor(private readonly limits: BatchLimits) {}

  get size(): number {
    return this.slots.length
  }

  /** Tokens waiting (unpadded). */
  get tokens(): number {
    return this.tokenCount
  }

  /** Queues one request's inputs, for `tenant` (absent: the shared anonymous tenant). */
  push(items: T[], tokensOf: (item: T) => number, tenant = ''): Queued<T>[] {
    let end = Math.max(this.virtualTime, this.tenantEnds.get(tenant) ?? 0)
    const added = items.map((item) => {
      const tokens = tokensOf(item)
      const slot = { item, order: end, arrival: this.nextArrival++, tokens, tenant }
      end += Math.max(1, tokens)
      return slot
    })
    this.tenantEnds.delete(tenant) // re-inserted last: the map's oldest entries go first
    this.tenantEnds.set(tenant, end)
    this.forgetIdleTenants()
    this.merge(added)
    return added
  }

  /** Returns inputs taken by `nextBatch` (a prepared batch being re-formed), in their old place. */
  putBack(taken: Queued<T>[]): void {
    this.merge(taken)
  }

  /** Merges inputs into the queue, which stays in fair order. */
  private merge(incoming: Queued<T>[]): void {
    if (incoming.length === 0) return
    const sorted = [...incoming].sort(inOrder)
    const merged: Queued<T>[] = []
    let i = 0
    for (const slot of this.slots) {
      while (i < sorted.length && inOrder(sorted[i], slot) < 0) merged.push(sorted[i++])
      merged.push(slot)
    }
    while (i < sorted.length) merged.push(sorted[i++])
    this.slots = merged
    for (const slot of incoming) this.tokenCount += slot.tokens
  }

  /** Bounds the tenant marks: a mark at or behind the virtual time says nothing a new one would not. */
  private forgetIdleTenants(): void {
    if (this.tenantEnds.size <= MAX_TENANT_MARKS) return
    for (const [tenant, end] of this.tenantEnds) {
      if (end <= this.virtualTime || this.tenantEnds.size > MAX_TENANT_MARKS)
        this.tenantEnds.delete(tenant)
      if (this.tenantEnds.size <= MAX_TENANT_MARKS / 2) break
    }
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
    // What was dropped is not run, so it must not push its tenant's next inputs back either.
    const tenants = new Set(removed.map((slot) => slot.tenant))
    for (const tenant of tenants) this.tenantEnds.set(tenant, this.virtualTime)
    for (const slot of this.slots) {
      if (!tenants.has(slot.tenant)) continue
      const end = slot.order + Math.max(1, slot.tokens)
      if (end > this.tenantEnds.get(slot.tenant)!) this.tenantEnds.set(slot.tenant, end)
    }
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
    const byLength = [...window].sort((a, b) => a.tokens - b.tokens || inOrder(a, b))
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
    const batch = byLength.slice(best.from, best.to).sort(inOrder)
    this.virtualTime = Math.max(this.virtualTime, window[0].order)
    const taken = new Set(batch)
    this.slots = this.slots.filter((slot) => !taken.has(slot))
    for (const slot of batch) this.tokenCount -= slot.tokens
    return batch
  }
}
