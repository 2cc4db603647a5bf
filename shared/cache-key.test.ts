import { describe, expect, it } from 'vitest'
import { cacheKey, cacheKeyOfDigest, digestOfKey, inputDigest } from './cache-key.ts'

const parts = { scope: 't-acme', model: 'qwen3-embedding-0.6b', revision: 'r1' }

describe('cacheKey', () => {
  it('has the documented shape and is stable', async () => {
    const key = await cacheKey(parts, { text: 'hello' })
    expect(key).toMatch(/^v1:t-acme:qwen3-embedding-0\.6b@r1:[0-9a-f]{64}$/)
    expect(await cacheKey(parts, { text: 'hello' })).toBe(key)
  })

  it('hashes text exactly: no trimming, no case folding', async () => {
    const keys = await Promise.all(
      ['hello', 'Hello', 'hello ', ' hello'].map((text) => cacheKey(parts, { text })),
    )
    expect(new Set(keys).size).toBe(4)
  })

  it('separates scopes, models, revisions and text from token ids', async () => {
    const base = await cacheKey(parts, { text: '1,2' })
    const others = await Promise.all([
      cacheKey({ ...parts, scope: 't-other' }, { text: '1,2' }),
      cacheKey({ ...parts, scope: 'shared' }, { text: '1,2' }),
      cacheKey({ ...parts, model: 'other' }, { text: '1,2' }),
      cacheKey({ ...parts, revision: 'r2' }, { text: '1,2' }),
      cacheKey(parts, { ids: [1, 2] }),
    ])
    expect(new Set([base, ...others]).size).toBe(6)
  })
})

describe('the input digest a key ends with', () => {
  it('is the digest the node is sent, and gives the same key for another scope or revision', async () => {
    for (const input of [{ text: 'hello: with colons: inside' }, { ids: [1, 2, 3] }]) {
      const key = await cacheKey(parts, input)
      expect(digestOfKey(key)).toBe(await inputDigest(input))
      const other = { ...parts, scope: 'node:tag', revision: 'r2' }
      expect(cacheKeyOfDigest(other, digestOfKey(key))).toBe(await cacheKey(other, input))
    }
  })
})
