/**
 * What a tenant's requests consumed, gathered in the isolate and sent to the tenant's Durable
 * Object in one call per USAGE_FLUSH_MS (default 200 ms), not one call per request: a call
 * made after each response still takes the isolate's time before it takes the next request
 * (measured: a third of a millisecond per cached request). Whatever is still gathered when the
 * isolate next asks the object for an admission travels with that call, so the object decides
 * on every token this isolate knows of; the admin API's usage read sends it too. Other
 * isolates' usage reaches the object within USAGE_FLUSH_MS. Requests that reserved tokens
 * (token-reservation.ts) are settled by the same call: until then, the window holds their whole
 * reservation. One batcher per isolate: `usageBatcher` in edge/isolate/isolate-memory.ts.
 */
import type { RequestUsage } from '../env.ts'
import type { Settlement } from './token-reservation.ts'

export interface UsageBatch {
  /** By key id: what its requests used, and how many of them were admitted on a lease. */
  keys: Record<string, { usage: RequestUsage; leasedRequests: number }>
  /** Requests admitted on leases, by the start of the window each lease was charged to. */
  leasedFrom: Record<string, number>
  /** Requests that reserved tokens, summed by the start of the window they reserved in. */
  settledFrom: Record<string, Settlement>
}

/** One request's reservation to settle, in the window it was charged to. */
export interface Settling {
  windowStartedAt: number
  settlement: Settlement
}

interface Pending {
  batch: UsageBatch
  /** The call that will send it, shared by every request whose usage it holds. */
  sent: Promise<void>
}

export class UsageBatcher {
  private readonly pending = new Map<string, Pending>()

  /**
   * Adds one request's usage to its tenant's batch. The request that opens a batch gets the
   * promise of its sending, to hand to `waitUntil` (so the isolate lives until it is sent);
   * the others get null: a waitUntil per request, each held open for the flush interval, cost
   * cached requests a measurable share of their time.
   */
  add(
    tenantId: string,
    keyId: string,
    usage: RequestUsage,
    leasedFrom: number | null,
    settling: Settling | null,
    flush: { delayMs: number; send: (batch: UsageBatch) => Promise<void> },
  ): Promise<void> | null {
    const { delayMs, send } = flush
    let pending = this.pending.get(tenantId)
    let opened = false
    if (!pending) {
      opened = true
      const batch: UsageBatch = { keys: {}, leasedFrom: {}, settledFrom: {} }
      const sent = new Promise<void>((resolve) => setTimeout(resolve, delayMs)).then(() => {
        if (this.pending.get(tenantId)?.batch !== batch) return // taken by an admission
        this.pending.delete(tenantId)
        return send(batch)
      })
      pending = { batch, sent }
      this.pending.set(tenantId, pending)
    }
    const entry = (pending.batch.keys[keyId] ??= {
      usage: { tokens: 0, cacheHits: 0, cacheMisses: 0 },
      leasedRequests: 0,
    })
    entry.usage.tokens += usage.tokens
    entry.usage.cacheHits += usage.cacheHits
    entry.usage.cacheMisses += usage.cacheMisses
    if (leasedFrom !== null) {
      entry.leasedRequests += 1
      pending.batch.leasedFrom[leasedFrom] = (pending.batch.leasedFrom[leasedFrom] ?? 0) + 1
    }
    if (settling) {
      const { reserved, leased, charged } = settling.settlement
      const sum = (pending.batch.settledFrom[settling.windowStartedAt] ??= {
        reserved: 0,
        leased: 0,
        charged: 0,
      })
      sum.reserved += reserved
      sum.leased += leased
      sum.charged += charged
    }
    return opened ? pending.sent : null
  }

  /** The tenant's gathered usage, to send with an admission instead; null if there is none. */
  take(tenantId: string): UsageBatch | null {
    const pending = this.pending.get(tenantId)
    this.pending.delete(tenantId)
    return pending?.batch ?? null
  }
}
