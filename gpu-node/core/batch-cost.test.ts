import { describe, expect, it } from 'vitest'
import { BatchCostModel, DEFAULT_OVERHEAD_TOKENS } from './batch-cost.ts'

describe('BatchCostModel', () => {
  it('learns the per-run overhead in tokens from batches of different sizes', () => {
    const model = new BatchCostModel(16384)
    // 4 ms per run plus 0.1 ms per padded token: the overhead is worth 40 tokens.
    for (const tokens of [16, 128, 256, 1024, 64, 512])
      model.observe(tokens, 0.004 + 0.0001 * tokens)
    expect(model.overheadTokens()).toBeCloseTo(40, 6)
  })

  it('fills batches up where padding costs nothing measurable, and guesses before it knows', () => {
    const gpu = new BatchCostModel(16384)
    for (const tokens of [16, 128, 1024, 4096]) gpu.observe(tokens, 0.01)
    expect(gpu.overheadTokens()).toBe(16384)
    const fresh = new BatchCostModel(16384)
    expect(fresh.overheadTokens()).toBe(DEFAULT_OVERHEAD_TOKENS)
    for (let i = 0; i < 5; i++) fresh.observe(256, 0.03) // one size only: no line yet
    expect(fresh.overheadTokens()).toBe(DEFAULT_OVERHEAD_TOKENS)
  })
})
