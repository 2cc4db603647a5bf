/** What a tenant, and each of its keys, has used since its counters began. */

/** What one embeddings request consumed; set by the route, read by usage and rate-limit middleware. */
export interface RequestUsage {
  /** Tokens of every input, cached ones included (what `usage.total_tokens` reports). */
  tokens: number
  /** Distinct inputs answered from the cache, and sent to a node. */
  cacheHits: number
  cacheMisses: number
}

export interface UsageCounters {
  /** Requests admitted (refused ones are not counted). */
  requests: number
  /** Tokens of every input, cached ones included, as `usage.total_tokens` reports them. */
  tokens: number
  cache_hits: number
  cache_misses: number
}

export const emptyCounters = (): UsageCounters => ({
  requests: 0,
  tokens: 0,
  cache_hits: 0,
  cache_misses: 0,
})

export function addUsage(counters: UsageCounters, usage: RequestUsage): void {
  counters.tokens += usage.tokens
  counters.cache_hits += usage.cacheHits
  counters.cache_misses += usage.cacheMisses
}

/** What the tenant's Durable Object reports of its usage (GET /admin/tenants/{id}/usage). */
export interface UsageReport {
  /** When these counters began (the tenant's first request). */
  since: string | null
  totals: UsageCounters
  /** By key id. */
  keys: Record<string, UsageCounters>
  /** The rate window in force, if one is open. */
  window: {
    started_at: string
    requests: number
    /** Requests out on leases, not yet used or given back. */
    leased: number
    tokens: number
    /** Tokens reserved by leases that have not ended. */
    tokens_leased: number
  } | null
}
