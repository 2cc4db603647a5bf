import { describe, expect, it } from 'vitest'
import { l2Normalize, poolBatch } from './pooling.ts'

// Two rows, three positions, width 2; row 0 is right-padded, row 1 left-padded.
const hidden = new Float32Array([1, 2, 3, 4, 9, 9, /* row 1 */ 9, 9, 5, 6, 7, 8])
const mask = new BigInt64Array([1n, 1n, 0n, 0n, 1n, 1n])

describe('poolBatch', () => {
  it('last_token takes the last real token on either padding side', () => {
    expect(poolBatch('last_token', hidden, mask, 2, 3, 2).map((v) => Array.from(v))).toEqual([
      [3, 4],
      [7, 8],
    ])
  })

  it('cls takes the first real token', () => {
    expect(poolBatch('cls', hidden, mask, 2, 3, 2).map((v) => Array.from(v))).toEqual([
      [1, 2],
      [5, 6],
    ])
  })

  it('mean averages real tokens only, never padding', () => {
    expect(poolBatch('mean', hidden, mask, 2, 3, 2).map((v) => Array.from(v))).toEqual([
      [2, 3],
      [6, 7],
    ])
  })

  it('in_graph passes one vector per row through', () => {
    const pooled = new Float32Array([1, 2, 3, 4])
    expect(poolBatch('in_graph', pooled, mask, 2, 3, 2).map((v) => Array.from(v))).toEqual([
      [1, 2],
      [3, 4],
    ])
  })
})

describe('l2Normalize', () => {
  it('scales to unit length and leaves a zero vector alone', () => {
    expect(Array.from(l2Normalize(new Float32Array([3, 4])))).toEqual([
      expect.closeTo(0.6, 6),
      expect.closeTo(0.8, 6),
    ])
    expect(Array.from(l2Normalize(new Float32Array([0, 0])))).toEqual([0, 0])
  })
})
