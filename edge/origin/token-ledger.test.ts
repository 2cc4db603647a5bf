import { describe, expect, it } from 'vitest'
import type { PoolItem } from './embed-on-pool.ts'
import { TokenLedger } from './token-ledger.ts'

/** Items whose key is their least and most tokens, e.g. `1-10`. */
const item = (least: number, most: number): PoolItem => ({
  key: `${least}-${most}`,
  input: { text: 'x' },
  index: 0,
})
const bounds = (i: PoolItem) => i.key.split('-').map(Number)
const ledgerOf = (max: number, items: PoolItem[]) =>
  new TokenLedger(
    max,
    items.reduce((sum, i) => sum + bounds(i)[0], 0),
    (i) => bounds(i)[1],
    (i) => bounds(i)[0],
  )

describe('TokenLedger', () => {
  it('never lets the calls of one request compute more than the limit together', () => {
    const parts = Array.from({ length: 10 }, () => [item(1, 100)])
    const ledger = ledgerOf(300, parts.flat())
    let allowed = 0
    const calls = parts.map((part) => {
      const call = ledger.open(part)
      allowed += call.maxTokens
      return call
    })
    // Ten parts in flight at once: what they may compute adds up to the limit, never past it.
    expect(allowed).toBeLessThanOrEqual(300)
    expect(calls[0].maxTokens).toBe(100)
    calls.forEach((call) => call.close([1]))
  })

  it('gives what earlier calls did not use to later ones', () => {
    const parts = Array.from({ length: 4 }, () => [item(1, 200)])
    const ledger = ledgerOf(300, parts.flat())
    const first = ledger.open(parts[0])
    expect(first.maxTokens).toBe(200)
    first.close([20]) // it had 20, not 200
    expect(ledger.open(parts[1]).maxTokens).toBe(200)
  })

  it('refuses the request once what is answered leaves a part less than its least', () => {
    const parts = [[item(1, 500)], [item(50, 500)]]
    const ledger = ledgerOf(300, parts.flat())
    ledger.open(parts[0]).close([260])
    expect(() => ledger.open(parts[1])).toThrow(/at most 300/)
  })

  it('puts a failed call back, for another node to take', () => {
    const parts = [[item(10, 100)], [item(10, 100)]]
    const ledger = ledgerOf(100, parts.flat())
    const call = ledger.open(parts[0])
    expect(call.maxTokens).toBe(90) // the other part needs at least 10
    call.abandon()
    call.abandon() // once only
    expect(ledger.open(parts[0]).maxTokens).toBe(90)
  })
})
