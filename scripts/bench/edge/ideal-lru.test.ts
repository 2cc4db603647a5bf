/**
 * The ideal the isolate tier is held to (ideal-lru.ts): an LRU in bytes, entries sized as the
 * tier sizes them.
 */
import { describe, expect, it } from 'vitest'
import {
  idealLruHitRatio,
  isolateEntryBytes,
  ISOLATE_ENTRY_OVERHEAD_BYTES,
  workingSetBytes,
} from './ideal-lru.ts'

const VECTOR_BYTES = 2048
const key = (name: string) => `v1:t-bench:model@rev:${name}`
const ENTRY = isolateEntryBytes(key('a'), VECTOR_BYTES)

describe('the ideal LRU of the isolate tier', () => {
  it('sizes an entry as the tier does: vector bytes, key characters and the overhead', () => {
    expect(ENTRY).toBe(VECTOR_BYTES + key('a').length + ISOLATE_ENTRY_OVERHEAD_BYTES)
  })

  it('evicts the least recently used entry, not the oldest written', () => {
    // Room for two: a b a c (evicts b, not a) a b (evicts c) → hits: a, a.
    const keys = ['a', 'b', 'a', 'c', 'a', 'b'].map(key)
    expect(idealLruHitRatio(keys, 2 * ENTRY, VECTOR_BYTES)).toBe(2 / 6)
  })

  it('holds only what fits in its bytes: one byte short of two entries holds one', () => {
    const keys = ['a', 'b', 'a', 'b'].map(key)
    expect(idealLruHitRatio(keys, 2 * ENTRY, VECTOR_BYTES)).toBe(2 / 4)
    expect(idealLruHitRatio(keys, 2 * ENTRY - 1, VECTOR_BYTES)).toBe(0)
  })

  it('hits every repeat, as an unbounded cache does, once the working set fits', () => {
    const keys = ['a', 'b', 'c', 'a', 'b', 'c', 'a'].map(key)
    expect(workingSetBytes(keys, VECTOR_BYTES)).toBe(3 * ENTRY)
    expect(idealLruHitRatio(keys, workingSetBytes(keys, VECTOR_BYTES), VECTOR_BYTES)).toBe(4 / 7)
    expect(idealLruHitRatio(keys, 2 * ENTRY, VECTOR_BYTES)).toBe(0)
  })

  it('counts, for the working set that eviction matters to, only inputs asked for again', () => {
    const keys = ['a', 'b', 'a', 'c', 'd'].map(key)
    expect(workingSetBytes(keys, VECTOR_BYTES)).toBe(4 * ENTRY)
    expect(workingSetBytes(keys, VECTOR_BYTES, 2)).toBe(ENTRY)
  })
})
