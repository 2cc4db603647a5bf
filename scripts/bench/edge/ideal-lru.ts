/**
 * What the isolate tier (edge/cache/isolate-tier.ts) should hit on a request sequence: an LRU of
 * the same capacity in bytes, sizing each entry as that tier does, fed the sequence one request
 * at a time. The benchmark divides the tier's measured hits by this, so a broken LRU, an entry
 * sized wrong or copied per request shows as a ratio below 1, which an unbounded ideal
 * (1 - distinct/total, zipf.ts) cannot show once the working set outgrows the tier.
 *
 * The sizing is restated here, not imported (the tier does not export it): a change to it there
 * shows in the figure until it is made here too, on purpose.
 */
import { LRUCache } from 'lru-cache'

/** edge/isolate/isolate-memory.ts's VECTOR_ENTRY_OVERHEAD_BYTES: bookkeeping counted per entry. */
export const ISOLATE_ENTRY_OVERHEAD_BYTES = 160

/** Bytes the isolate tier counts for one entry: its float32 vector, its key, the overhead. */
export function isolateEntryBytes(key: string, vectorBytes: number): number {
  return vectorBytes + key.length + ISOLATE_ENTRY_OVERHEAD_BYTES
}

/**
 * Bytes the distinct keys of `keys` would take in the isolate tier, all at once; with
 * `minCount` 2, only the keys asked for more than once: a key asked for once is a miss in any
 * cache, so those are the entries eviction can cost a hit.
 */
export function workingSetBytes(
  keys: readonly string[],
  vectorBytes: number,
  minCount = 1,
): number {
  const counts = new Map<string, number>()
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1)
  let bytes = 0
  for (const [key, count] of counts)
    if (count >= minCount) bytes += isolateEntryBytes(key, vectorBytes)
  return bytes
}

/**
 * The share of `keys` (cache keys in the order requested) an LRU of `capacityBytes` hits,
 * starting empty: a lookup, and on a miss the vector stored, as the tier does for every input.
 */
export function idealLruHitRatio(
  keys: readonly string[],
  capacityBytes: number,
  vectorBytes: number,
): number {
  if (keys.length === 0) return 0
  const lru = new LRUCache<string, { byteLength: number }>({
    maxSize: capacityBytes,
    sizeCalculation: (vector, key) => isolateEntryBytes(key, vector.byteLength),
  })
  const vector = { byteLength: vectorBytes }
  let hits = 0
  for (const key of keys) {
    if (lru.get(key)) hits++
    else lru.set(key, vector)
  }
  return hits / keys.length
}
