import { describe, expect, it } from 'vitest'
import { MicroBatcher } from './micro-batcher.ts'

/** A batch runner that doubles numbers and records each batch it was given. */
function doubling(delayMs = 5) {
  const batches: number[][] = []
  const run = async (items: number[]) => {
    batches.push(items)
    await new Promise((resolve) => setTimeout(resolve, delayMs))
    return items.map((x) => x * 2)
  }
  return { batches, run }
}

describe('MicroBatcher', () => {
  it('merges concurrent requests into one batch and answers each in its own order', async () => {
    const { batches, run } = doubling()
    const batcher = new MicroBatcher(run, { maxBatchSize: 32, maxWaitMs: 5 })
    const results = await Promise.all([
      batcher.submit([1, 2]),
      batcher.submit([3]),
      batcher.submit([4, 5]),
    ])
    expect(results).toEqual([[2, 4], [6], [8, 10]])
    expect(batches).toEqual([[1, 2, 3, 4, 5]])
  })

  it('never runs a batch larger than the maximum, and runs one batch at a time', async () => {
    let running = 0
    let mostAtOnce = 0
    const sizes: number[] = []
    const batcher = new MicroBatcher(
      async (items: number[]) => {
        running++
        mostAtOnce = Math.max(mostAtOnce, running)
        sizes.push(items.length)
        await new Promise((resolve) => setTimeout(resolve, 2))
        running--
        return items
      },
      { maxBatchSize: 4, maxWaitMs: 1 },
    )
    const input = Array.from({ length: 10 }, (_, i) => i)
    expect(await batcher.submit(input)).toEqual(input)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4)
    expect(sizes.reduce((a, b) => a + b)).toBe(10)
    expect(mostAtOnce).toBe(1)
  })

  it('fails only the requests in a failing batch and keeps serving', async () => {
    const batcher = new MicroBatcher(
      async (items: number[]) => {
        if (items.includes(13)) throw new Error('unlucky batch')
        return items
      },
      { maxBatchSize: 8, maxWaitMs: 0 },
    )
    await expect(batcher.submit([13])).rejects.toThrow('unlucky batch')
    expect(await batcher.submit([1, 2])).toEqual([1, 2])
  })
})
