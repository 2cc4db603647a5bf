/**
 * Coalescing: identical misses in flight in one isolate are computed once.
 *
 * The first request that misses a key claims it; later requests for the same
 * key join the claim's promise instead of reading the tiers and calling a node
 * again. A claim ends when its request settles it, so the map
 * (`inFlight` in edge/isolate/isolate-memory.ts) holds only lookups in
 * progress and stays as small as the isolate's concurrency.
 */
import { isolateMemory } from '../isolate/isolate-memory.ts'
import type { CachedVector } from './cache-entry.ts'

export interface Resolution {
  entry: CachedVector
  /** Where the claiming request found the vector: a cache tier, or a node computed it. */
  source: 'cache' | 'node'
  /** False for a vector from a node that reported drift: answered, but kept out of every cache. */
  cacheable?: false
}

export interface Claim {
  settle: (resolution: Resolution) => void
  fail: (error: unknown) => void
}

/** The lookup already in flight for this id, if any. */
export function joinInFlight(id: string): Promise<Resolution> | undefined {
  return isolateMemory.inFlight.get(id)
}

/** Registers this request as the one that resolves `id`; it must settle or fail the claim. */
export function claimInFlight(id: string): Claim {
  let settle!: (resolution: Resolution) => void
  let fail!: (error: unknown) => void
  const promise = new Promise<Resolution>((resolve, reject) => {
    settle = resolve
    fail = reject
  })
  // Joiners handle the failure; without them it must not surface as an unhandled rejection.
  promise.catch(() => {})
  const { inFlight } = isolateMemory
  inFlight.set(id, promise)
  const done = () => {
    if (inFlight.get(id) === promise) inFlight.delete(id)
  }
  return {
    settle: (resolution) => {
      done()
      settle(resolution)
    },
    fail: (error) => {
      done()
      fail(error)
    },
  }
}
