import { describe, expect, it } from 'vitest'
import { VectorCache } from './vector-cache.ts'

const vector = (dimensions: number, fill: number) => new Float32Array(dimensions).fill(fill)

describe('VectorCache', () => {
  it('is bounded in bytes: the least recently used vectors go first', async () => {
    const cache = new VectorCache(10 * 1024, { id: 'm', revision: 'r1' })
    const keys = await Promise.all(
      Array.from({ length: 20 }, (_, i) => cache.key({ text: `input ${i}` })),
    )
    for (const [i, key] of keys.entries()) cache.set(key, { vector: vector(256, i), tokens: i }) // 1 KiB of floats each
    expect(cache.bytes).toBeLessThanOrEqual(10 * 1024)
    expect(cache.get(keys[0])).toBeUndefined()
    expect(cache.get(keys[19])).toMatchObject({ tokens: 19 })
    expect(cache.get(keys[19])!.vector[0]).toBe(19)
  })

  it('keys on the model and its revision, so it never answers for another of either', async () => {
    const input = { text: 'same text' }
    const keys = await Promise.all([
      new VectorCache(1024, { id: 'm', revision: 'r1' }).key(input),
      new VectorCache(1024, { id: 'm', revision: 'r2' }).key(input),
      new VectorCache(1024, { id: 'other', revision: 'r1' }).key(input),
      new VectorCache(1024, { id: 'm', revision: 'r1' }).key({ text: 'same text ' }),
    ])
    expect(new Set(keys).size).toBe(4)
    expect(keys[0]).toContain('m@r1')
  })

  it('keeps its own copy of a vector handed in as a view of a larger buffer', async () => {
    const cache = new VectorCache(1024 * 1024, { id: 'm', revision: 'r' })
    const batchOutput = new Float32Array(4 * 64)
    const key = await cache.key({ text: 'x' })
    cache.set(key, { vector: batchOutput.subarray(64, 128), tokens: 1 })
    batchOutput.fill(9)
    const stored = cache.get(key)!.vector
    expect(stored.buffer.byteLength).toBe(64 * 4)
    expect(stored[0]).toBe(0)
  })

  it('holds nothing when given no bytes', async () => {
    const cache = new VectorCache(0, { id: 'm', revision: 'r' })
    const key = await cache.key({ text: 'x' })
    cache.set(key, { vector: vector(4, 1), tokens: 1 })
    expect(cache.enabled).toBe(false)
    expect(cache.get(key)).toBeUndefined()
  })
})
