import { describe, expect, it } from 'vitest'
import { ApiError } from '../../shared/errors.ts'
import { AttentionBudget } from './attention-memory.ts'
import { BatchQueue } from './queue.ts'

describe('AttentionBudget', () => {
  // 4 heads of float32 scores: 16 bytes per query-key pair; 1 MiB fits 256 tokens alone.
  const budget = new AttentionBudget(4, 4, 2 ** 20)

  it('counts rows × heads × length² × bytes, and knows the longest input that fits alone', () => {
    expect(budget.bytes(2, 100)).toBe(2 * 4 * 4 * 100 * 100)
    expect(budget.longestInput).toBe(256)
    expect(budget.fits(1, 256)).toBe(true)
    expect(budget.fits(1, 257)).toBe(false)
  })

  it('refuses an input that cannot fit alone with 413, naming MAX_ATTENTION_BYTES', () => {
    expect(() => budget.check(256, 0)).not.toThrow()
    try {
      budget.check(300, 2)
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError)
      expect(err).toMatchObject({
        status: 413,
        param: 'input[2]',
        inputIndex: 2,
        code: 'input_exceeds_attention_memory',
      })
      expect((err as Error).message).toMatch(/MAX_ATTENTION_BYTES .*at most 256 tokens/)
    }
  })

  it('bounds nothing for fused attention', () => {
    const fused = new AttentionBudget(null, 4, 1)
    expect(fused.bounded).toBe(false)
    expect(fused.longestInput).toBe(Infinity)
    expect(() => fused.check(32768, 0)).not.toThrow()
  })

  it('makes the queue run long inputs in separate batches that each fit', () => {
    const queue = new BatchQueue<string>({
      maxBatchTokens: 1_000_000,
      maxBatchRequests: 32,
      attention: budget,
    })
    // Two 200-token inputs fit alone (640 KB each) but not together (1.28 MB > 1 MiB).
    queue.push(['a', 'b', 'c'], (item) => (item === 'c' ? 10 : 200))
    const batches = [queue.nextBatch(32), queue.nextBatch(32), queue.nextBatch(32)]
    for (const batch of batches) {
      const length = Math.max(...batch.map((slot) => slot.tokens))
      expect(budget.fits(batch.length, length)).toBe(true)
    }
    expect(
      batches
        .flat()
        .map((slot) => slot.item)
        .sort(),
    ).toEqual(['a', 'b', 'c'])
  })
})
