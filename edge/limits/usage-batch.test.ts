import { describe, expect, it } from 'vitest'
import { UsageBatcher, type UsageBatch } from './usage-batch.ts'

const usage = (tokens: number, hits = 0, misses = 0) => ({
  tokens,
  cacheHits: hits,
  cacheMisses: misses,
})

describe('usage gathered in the isolate', () => {
  it('sends the requests of one flush interval in one call, summed per key', async () => {
    const batcher = new UsageBatcher()
    const sent: UsageBatch[] = []
    const flush = { delayMs: 300, send: async (batch: UsageBatch) => void sent.push(batch) }
    const done = [
      batcher.add('t', 'key-a', usage(5, 1), 1_000, null, flush),
      batcher.add('t', 'key-a', usage(7, 0, 1), 1_000, null, flush),
      batcher.add('t', 'key-b', usage(0), null, null, flush),
      batcher.add('other', 'key-c', usage(3), null, null, flush),
    ]
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(sent).toEqual([]) // nothing before the interval ends
    await Promise.all(done)
    expect(sent).toHaveLength(2)
    expect(sent.find((b) => b.keys['key-a'])).toEqual({
      keys: {
        'key-a': { usage: usage(12, 1, 1), leasedRequests: 2 },
        'key-b': { usage: usage(0), leasedRequests: 0 },
      },
      leasedFrom: { '1000': 2 },
      settledFrom: {},
    })
  })

  it('hands what it gathered to an admission instead, and sends it only once', async () => {
    const batcher = new UsageBatcher()
    const sent: UsageBatch[] = []
    const flush = { delayMs: 10, send: async (batch: UsageBatch) => void sent.push(batch) }
    const done = batcher.add('t', 'key', usage(4), null, null, flush)
    expect(batcher.take('t')?.keys.key.usage.tokens).toBe(4)
    expect(batcher.take('t')).toBeNull()
    await done
    expect(sent).toEqual([])
    // A new batch opens after the take, and is sent on its own.
    await batcher.add('t', 'key', usage(2), null, null, flush)
    expect(sent.map((b) => b.keys.key.usage.tokens)).toEqual([2])
  })
})
