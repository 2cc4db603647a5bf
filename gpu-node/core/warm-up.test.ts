import { describe, expect, it } from 'vitest'
import { warmUpShapes } from './warm-up.ts'

describe('warmUpShapes', () => {
  it('covers short and long inputs, alone and batched, within the batching limits', () => {
    expect(
      warmUpShapes({ max_input_tokens: 32768 }, { maxBatchTokens: 16384, maxBatchRequests: 32 }),
    ).toEqual([
      [1, 16],
      [8, 16],
      [1, 256],
      [4, 256],
    ])
  })

  it('stays inside a small model maximum and a small token budget, without repeats', () => {
    expect(
      warmUpShapes({ max_input_tokens: 128 }, { maxBatchTokens: 200, maxBatchRequests: 2 }),
    ).toEqual([
      [1, 16],
      [2, 16],
      [1, 128],
    ])
  })
})
