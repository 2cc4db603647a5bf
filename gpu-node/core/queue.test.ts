import { describe, expect, it } from 'vitest'
import { BatchQueue, LOOKAHEAD, type BatchLimits } from './queue.ts'

/** A queue of named inputs, each `name` standing for an input of `tokens` tokens. */
function queueOf(limits: BatchLimits, inputs: [string, number][], overheadTokens = 32) {
  const queue = new BatchQueue<string>(limits)
  const tokens = new Map(inputs)
  queue.push(
    inputs.map(([name]) => name),
    (name) => tokens.get(name)!,
  )
  const next = () => queue.nextBatch(overheadTokens).map((slot) => slot.item)
  return { queue, next, tokens }
}

const paddedCost = (batch: string[], tokens: Map<string, number>) =>
  batch.length * Math.max(...batch.map((name) => tokens.get(name)!))

describe('BatchQueue', () => {
  it.each([0, 32, 1e9])(
    'keeps padded length × batch size within max_batch_tokens (overhead %d tokens)',
    (overhead) => {
      const lengths = [30, 5, 50, 12, 40, 8, 25, 60, 3, 33, 17, 44]
      const { queue, next, tokens } = queueOf(
        { maxBatchTokens: 120, maxBatchRequests: 32 },
        lengths.map((n, i) => [`in${i}`, n]),
        overhead,
      )
      const seen: string[] = []
      while (queue.size > 0) {
        const batch = next()
        expect(paddedCost(batch, tokens)).toBeLessThanOrEqual(120)
        seen.push(...batch)
      }
      expect(seen.sort()).toEqual(lengths.map((_, i) => `in${i}`).sort())
      expect(queue.tokens).toBe(0)
    },
  )

  it('never takes more than max_batch_requests inputs', () => {
    const { next } = queueOf(
      { maxBatchTokens: 1_000_000, maxBatchRequests: 4 },
      Array.from({ length: 10 }, (_, i): [string, number] => [`in${i}`, 7]),
    )
    expect(next()).toEqual(['in0', 'in1', 'in2', 'in3'])
    expect(next()).toEqual(['in4', 'in5', 'in6', 'in7'])
    expect(next()).toEqual(['in8', 'in9'])
    expect(next()).toEqual([])
  })

  it('always includes the oldest input, and groups it with inputs of similar length', () => {
    const { next } = queueOf({ maxBatchTokens: 1000, maxBatchRequests: 8 }, [
      ['old-10', 10],
      ['long-40', 40],
      ['near-9', 9],
      ['long-38', 38],
      ['near-11', 11],
    ])
    expect(next()).toEqual(['old-10', 'near-9', 'near-11'])
    expect(next()).toEqual(['long-40', 'long-38'])
  })

  it('pads only where padding costs less than another run', () => {
    const inputs: [string, number][] = [
      ['short-10', 10],
      ['long-100', 100],
      ['short-12', 12],
      ['long-90', 90],
    ]
    const limits = { maxBatchTokens: 1000, maxBatchRequests: 8 }
    // A run costs about 5 tokens' worth (a CPU): padding a short input to 100 is not worth it.
    expect(queueOf(limits, inputs, 5).next()).toEqual(['short-10', 'short-12'])
    // A run costs as much as 1000 tokens (a GPU): everything goes in one batch.
    expect(queueOf(limits, inputs, 1000).next()).toEqual([
      'short-10',
      'long-100',
      'short-12',
      'long-90',
    ])
  })

  it('runs an input longer than max_batch_tokens alone instead of never', () => {
    const { next } = queueOf({ maxBatchTokens: 16, maxBatchRequests: 8 }, [
      ['huge', 100],
      ['small', 2],
    ])
    expect(next()).toEqual(['huge'])
    expect(next()).toEqual(['small'])
  })

  it(`looks no further than ${LOOKAHEAD} × max_batch_requests inputs past the oldest`, () => {
    const maxBatchRequests = 2
    const fillers = Array.from(
      { length: LOOKAHEAD * maxBatchRequests - 1 },
      (_, i): [string, number] => [`filler${i}`, 50],
    )
    const { next } = queueOf({ maxBatchTokens: 1000, maxBatchRequests }, [
      ['first-5', 5],
      ...fillers,
      ['beyond-5', 5],
    ])
    // 'beyond-5' would suit the oldest best, but it sits outside the window.
    expect(next()).toEqual(['first-5'])
  })

  it('puts taken inputs back in their old place, and removes the ones asked for', () => {
    const { queue, next } = queueOf({ maxBatchTokens: 1000, maxBatchRequests: 2 }, [
      ['a', 1],
      ['b', 1],
      ['c', 1],
    ])
    const taken = queue.nextBatch(32)
    expect(taken.map((slot) => slot.item)).toEqual(['a', 'b'])
    queue.push(['d'], () => 1)
    queue.putBack(taken)
    expect(queue.tokens).toBe(4)
    expect(queue.remove((name) => name === 'b').map((slot) => slot.item)).toEqual(['b'])
    expect(next()).toEqual(['a', 'c'])
    expect(next()).toEqual(['d'])
  })

  describe('fair between tenants', () => {
    const limits = { maxBatchTokens: 10_000, maxBatchRequests: 4 }
    const names = (prefix: string, count: number) =>
      Array.from({ length: count }, (_, i) => `${prefix}${i}`)

    it("serves a tenant's lone query next, not after another tenant's 2048 inputs", () => {
      const queue = new BatchQueue<string>(limits)
      queue.push(names('big', 2048), () => 10, 'tenant-a')
      expect(queue.nextBatch(0)).toHaveLength(4) // big0…big3 are running
      queue.push(['query'], () => 10, 'tenant-b')
      const next = queue.nextBatch(0).map((slot) => slot.item)
      expect(next).toContain('query')
      expect(queue.size).toBe(2048 - 4 - 3)
    })

    it('shares sessions by tokens: two busy tenants alternate, one idle one does not bank credit', () => {
      const queue = new BatchQueue<string>({ maxBatchTokens: 10_000, maxBatchRequests: 1 })
      queue.push(names('a', 6), () => 10, 'a')
      queue.push(names('b', 3), () => 20, 'b')
      const order: string[] = []
      while (queue.size > 0) order.push(...queue.nextBatch(0).map((slot) => slot.item))
      // b's inputs cost twice a's: a runs two for each one of b's while both wait.
      expect(order).toEqual(['a0', 'b0', 'a1', 'a2', 'b1', 'a3', 'a4', 'b2', 'a5'])
      // Tenants new (or back from idling) start at "now", with no credit for the time unused.
      queue.push(names('c', 4), () => 10, 'c')
      queue.push(names('d', 2), () => 10, 'd')
      const next: string[] = []
      while (queue.size > 0) next.push(...queue.nextBatch(0).map((slot) => slot.item))
      expect(next).toEqual(['c0', 'd0', 'c1', 'd1', 'c2', 'c3'])
    })

    it('keeps one tenant in arrival order, as before', () => {
      const queue = new BatchQueue<string>({ maxBatchTokens: 10_000, maxBatchRequests: 1 })
      queue.push(['first'], () => 50)
      queue.push(['second'], () => 1)
      queue.push(['third'], () => 7)
      const order: string[] = []
      while (queue.size > 0) order.push(...queue.nextBatch(0).map((slot) => slot.item))
      expect(order).toEqual(['first', 'second', 'third'])
    })

    it("forgets a tenant's dropped inputs: its next query is not placed behind them", () => {
      const queue = new BatchQueue<string>({ maxBatchTokens: 10_000, maxBatchRequests: 1 })
      queue.push(names('gone', 100), () => 10, 'a')
      queue.push(names('b', 3), () => 10, 'b')
      queue.remove((name) => name.startsWith('gone')) // a's client went away
      queue.push(['query'], () => 10, 'a')
      const order: string[] = []
      while (queue.size > 0) order.push(...queue.nextBatch(0).map((slot) => slot.item))
      expect(order.indexOf('query')).toBeLessThanOrEqual(1)
    })
  })
})
