/** What a tenant, and each of its keys, has used since its counters began. */
import type { RequestUsage } from '../env.ts'

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
