/**
 * Steps 4 and 5 of a request: the vector of every distinct cache key, from the
 * fastest place that has it: the isolate LRU, a lookup already in flight in
 * this isolate, the Cache API, KV, and only then the origin pool, which
 * computes the misses (one call per node). Computed vectors go into memory and KV.
 *
 * The README's request walk: step 8.
 */
import { cacheKeyOfDigest, digestOfKey } from '../../shared/cache-key.ts'
import { ApiError } from '../../shared/errors.ts'
import { mayHaveBeenCut, type ModelInfo } from '../../shared/node-protocol.ts'
import { freshEntry, type CachedVector } from '../cache/cache-entry.ts'
import { claimInFlight, joinInFlight, type Claim, type Resolution } from '../cache/in-flight.ts'
import { readIsolate } from '../cache/isolate-tier.ts'
import { readLowerTiers, storeComputed, type CacheContext } from '../cache/tiered-cache.ts'
import { forgetModelCatalog } from '../models/model-catalog.ts'
import { embedOnPool, type PoolItem } from '../origin/embed-on-pool.ts'
import type { NodeCalls } from './node-calls.ts'
import type { Place } from '../origin/place.ts'
import { nodePool, type PoolNode } from '../origin/node-pool.ts'

export interface VectorRequest {
  model: ModelInfo
  scope: string
  /** Distinct cache keys, each with its final input and its first position in the request. */
  items: PoolItem[]
  truncate: boolean
  ttlSeconds: number
  /** The tenant's `edge_cache`: false skips every tier and every lookup in flight. */
  edgeCache: boolean
  /** What node calls carry besides the inputs: tags, token bounds. */
  calls: NodeCalls
  /** Where the caller's colo is, so misses go to the nearest GPU region; null if unknown. */
  from: Place | null
}

export interface ResolvedVectors {
  entries: Map<string, CachedVector>
  /** Distinct keys answered from a cache tier, and those a node had to compute. */
  hits: number
  misses: number
  /** False when a vector came from a drifted node: the whole answer must not be remembered. */
  cacheable: boolean
  /** Where the distinct keys were found: this isolate's memory, the Cache API or KV, a node. */
  tiers: Set<CacheTier>
}

/** Where a vector was found: this isolate's memory, the Cache API or KV, a node. */
export type CacheTier = 'isolate' | 'lower' | 'node'

/** The order x-cache-tier names them in, nearest first, whatever order they were found in. */
export const TIER_ORDER: readonly CacheTier[] = ['isolate', 'lower', 'node']

export interface Timing {
  start: (name: 'cache' | 'node') => void
  end: (name: 'cache' | 'node') => void
  /** A node of the pool computed some of the misses; its longest call took `ms`. */
  servedBy: (node: PoolNode, ms: number) => void
}

export async function resolveVectors(
  cache: CacheContext,
  request: VectorRequest,
  timing: Timing,
): Promise<ResolvedVectors> {
  const { model, truncate } = request
  const entries = new Map<string, CachedVector>()
  let hits = 0
  let misses = 0
  let cacheable = true
  const tiers = new Set<CacheTier>()
  const count = ({ source, cacheable: canCache }: Resolution) => {
    if (canCache === false) cacheable = false
    tiers.add(source === 'cache' ? 'lower' : 'node')
    return source === 'cache' ? hits++ : misses++
  }

  if (!request.edgeCache) {
    timing.start('node')
    const computed = await compute(cache, request, request.items, timing)
    timing.end('node')
    for (const [key, { entry }] of computed) entries.set(key, entry)
    return { entries, hits: 0, misses: computed.size, cacheable: false, tiers: new Set(['node']) }
  }

  // A request that forbids cutting asks the node again for an entry that may have been cut,
  // and the node refuses it with 422 if it is indeed too long.
  const usable = (entry: CachedVector | undefined): entry is CachedVector =>
    entry !== undefined && (truncate || !mayHaveBeenCut(entry.tokens, model.max_input_tokens))
  const owned: PoolItem[] = []
  const claims = new Map<string, Claim>()
  const joined: [PoolItem, Promise<Resolution>][] = []
  for (const item of request.items) {
    const entry = readIsolate(cache.env, item.key)
    if (usable(entry)) {
      entries.set(item.key, entry)
      hits++
      tiers.add('isolate')
      continue
    }
    // Lookups that may or may not cut inputs are different work: they never join each other.
    const flightId = truncate ? item.key : `${item.key}|no-truncate`
    const pending = joinInFlight(flightId)
    if (pending) joined.push([item, pending])
    else {
      owned.push(item)
      claims.set(item.key, claimInFlight(flightId))
    }
  }

  const resolveOwned = async (items: PoolItem[]) => {
    try {
      timing.start('cache')
      const lower = await readLowerTiers(
        cache,
        items.map((item) => item.key),
      )
      timing.end('cache')
      const missing: PoolItem[] = []
      for (const item of items) {
        const entry = lower.get(item.key)
        if (!usable(entry)) missing.push(item)
        else settle(item.key, { entry, source: 'cache' })
      }
      if (missing.length > 0) {
        timing.start('node')
        const computed = await compute(cache, request, missing, timing)
        timing.end('node')
        for (const [key, resolution] of computed) settle(key, resolution)
      }
    } catch (err) {
      for (const claim of claims.values()) claim.fail(err)
      throw err
    }
  }
  const owning = resolveOwned(owned)
  // Other requests may be waiting on these claims: if this client goes away, the runtime
  // still finishes the work (waitUntil outlives a cancelled request) and settles them.
  if (claims.size > 0) cache.waitUntil(owning.catch(() => {}))
  await owning
  // A joined lookup that failed for the claiming request's own input (a 4xx: another input of
  // that request was refused, and its node call with it) says nothing of this one: such keys
  // are looked up again here. A 5xx or a timeout is shared: it would be the same again.
  const again: PoolItem[] = []
  for (const [item, pending] of joined) {
    try {
      const resolution = await pending
      entries.set(item.key, resolution.entry)
      count(resolution)
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) again.push(item)
      // Another request's error about this input names it by this request's index.
      else throw err instanceof ApiError && err.inputIndex !== null ? err.forInput(item.index) : err
    }
  }
  if (again.length > 0) await resolveOwned(again)
  return { entries, hits, misses, cacheable, tiers }

  function settle(key: string, resolution: Resolution): void {
    entries.set(key, resolution.entry)
    count(resolution)
    claims.get(key)?.settle(resolution)
    claims.delete(key)
  }
}

/** Computes the items on the pool; stores each vector under the revision that computed it. */
async function compute(
  cache: CacheContext,
  request: VectorRequest,
  items: PoolItem[],
  timing: Timing,
): Promise<Map<string, Resolution>> {
  const { model, scope } = request
  const { vectors, servedBy } = await embedOnPool(
    nodePool(cache.env),
    { model: model.id, items, truncate: request.truncate, ...request.calls, from: request.from },
    cache.waitUntil,
  )
  for (const [node, ms] of servedBy) timing.servedBy(node, ms)
  const computed = new Map<string, Resolution>()
  for (const item of items) {
    const { vector, tokens, revision, cacheable } = vectors.get(item.key)!
    const entry = freshEntry(vector, tokens, request.ttlSeconds)
    // A drifted node's vectors are answered but kept out of every tier: they would outlive it.
    computed.set(item.key, { entry, source: 'node', ...(cacheable ? {} : { cacheable: false }) })
    if (!request.edgeCache || !cacheable) continue
    if (revision === model.revision) storeComputed(cache, item.key, entry)
    else {
      // A stale catalog then costs a miss, never a wrong hit.
      forgetModelCatalog()
      const key = cacheKeyOfDigest({ scope, model: model.id, revision }, digestOfKey(item.key))
      storeComputed(cache, key, entry)
    }
  }
  return computed
}
