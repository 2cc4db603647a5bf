import { describe, expect, it } from 'vitest'
import { projectVector } from './projection.ts'

const norm = (v: Float32Array) => Math.hypot(...v)

describe('projectVector', () => {
  it('keeps the first components and renormalizes them to unit length', () => {
    const full = new Float32Array([0.6, 0.8, 0, 0]) // unit length
    const projected = projectVector(
      new Float32Array([3, 4, 12, 0]).map((x) => x / 13),
      2,
    )
    expect(Array.from(projected)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6)])
    expect(norm(projectVector(full, 4))).toBeCloseTo(1, 6)
  })

  it('is the identity at full size and never mutates its input', () => {
    const full = new Float32Array([0.5, 0.5, 0.5, 0.5])
    const projected = projectVector(full, 4)
    expect(Array.from(projected)).toEqual(Array.from(full))
    projected[0] = 9
    expect(full[0]).toBe(0.5)
  })

  it('refuses sizes outside 1..full', () => {
    const full = new Float32Array(8).fill(0.25)
    expect(() => projectVector(full, 0)).toThrow(RangeError)
    expect(() => projectVector(full, 9)).toThrow(RangeError)
    expect(() => projectVector(full, 2.5)).toThrow(RangeError)
  })
})
