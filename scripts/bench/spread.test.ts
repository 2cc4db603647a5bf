import { describe, expect, it } from 'vitest'
import { describeSpread, spreadOf } from './spread.ts'

describe('a figure over rounds', () => {
  it('gives the lowest, the median and the highest round, whatever their order', () => {
    expect(spreadOf([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3, rounds: 3 })
    expect(spreadOf([4, 1, 3, 2])).toEqual({ min: 1, median: 2.5, max: 4, rounds: 4 })
  })

  it('leaves out rounds that measured nothing, and is null when none did', () => {
    expect(spreadOf([NaN, 5, Infinity])).toEqual({ min: 5, median: 5, max: 5, rounds: 1 })
    expect(spreadOf([NaN])).toBeNull()
    expect(describeSpread(null)).toBe('n/a')
  })

  it('prints the spread only when there was more than one round', () => {
    expect(describeSpread(spreadOf([1.1, 1.4, 1.234]))).toBe('1.23 (1.10–1.40)')
    expect(describeSpread(spreadOf([0.5]), 1)).toBe('0.5')
  })
})
