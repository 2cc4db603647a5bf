import { describe, expect, it } from 'vitest'
import { VectorStats } from './vector-stats.ts'

const batch = (rows: number[][]) => {
  const norms = Float32Array.from(rows, (row) => Math.hypot(...row))
  const vectors = rows.map((row, i) => Float32Array.from(row, (x) => x / (norms[i] || 1)))
  return { vectors, norms }
}

describe('VectorStats', () => {
  it('keeps the centroid and variance of the pooled, unnormalized vectors', () => {
    const stats = new VectorStats(2)
    stats.observe(
      batch([
        [2, 0],
        [4, 0],
        [0, 6],
      ]),
    )
    expect(stats.count).toBe(3)
    const centroid = stats.centroid()
    expect(centroid[0]).toBeCloseTo(2, 5)
    expect(centroid[1]).toBeCloseTo(2, 5)
    // Population variance of (2, 4, 0) and (0, 0, 6).
    expect(stats.perDimensionVariance()[0]).toBeCloseTo(8 / 3, 5)
    expect(stats.perDimensionVariance()[1]).toBeCloseTo(8, 5)
  })

  it('forgets slowly: after a window of new vectors the centroid has moved most of the way', () => {
    const stats = new VectorStats(1, undefined, 100)
    for (let i = 0; i < 100; i++) stats.observe(batch([[1]]))
    for (let i = 0; i < 300; i++) stats.observe(batch([[3]]))
    expect(stats.centroid()[0]).toBeGreaterThan(2.8)
  })

  it('leaves NaN and zero vectors out of the statistics', () => {
    const stats = new VectorStats(2)
    stats.observe({
      vectors: [Float32Array.of(NaN, 1), Float32Array.of(0, 0)],
      norms: Float32Array.of(NaN, 0),
    })
    expect(stats.count).toBe(0)
    expect(Array.from(stats.centroid())).toEqual([0, 0])
  })
})
