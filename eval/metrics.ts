/** The arithmetic of the quality checks: cosine, Spearman's rank correlation, MRR. */
import { cosine } from '../shared/cosine.ts'

export { cosine }

export function mean(values: number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length
}

/** Ranks with ties sharing their average rank, as Spearman's correlation needs. */
function ranks(values: number[]): number[] {
  const order = values.map((value, i) => ({ value, i })).sort((a, b) => a.value - b.value)
  const out = new Array<number>(values.length)
  for (let start = 0; start < order.length;) {
    let end = start
    while (end + 1 < order.length && order[end + 1].value === order[start].value) end++
    const rank = (start + end) / 2 + 1
    for (let k = start; k <= end; k++) out[order[k].i] = rank
    start = end + 1
  }
  return out
}

/** Spearman's rank correlation: Pearson's correlation of the ranks. */
export function spearman(x: number[], y: number[]): number {
  const [rx, ry] = [ranks(x), ranks(y)]
  const [mx, my] = [mean(rx), mean(ry)]
  let num = 0
  let dx = 0
  let dy = 0
  for (let i = 0; i < rx.length; i++) {
    num += (rx[i] - mx) * (ry[i] - my)
    dx += (rx[i] - mx) ** 2
    dy += (ry[i] - my) ** 2
  }
  return dx > 0 && dy > 0 ? num / Math.sqrt(dx * dy) : 0
}

/**
 * Mean reciprocal rank at k: for each query, 1 / the rank of its first relevant document among
 * the documents sorted by cosine (0 past rank k).
 */
export function mrrAtK(
  queries: Float32Array[],
  documents: Float32Array[],
  relevant: number[][],
  k = 10,
): number {
  const scores = queries.map((query, q) => {
    const ranked = documents
      .map((document, d) => ({ d, score: cosine(query, document) }))
      .sort((a, b) => b.score - a.score)
    const rank = ranked.findIndex(({ d }) => relevant[q].includes(d))
    return rank >= 0 && rank < k ? 1 / (rank + 1) : 0
  })
  return mean(scores)
}

/** The first `dimensions` components renormalized: what a Matryoshka `dimensions` answers. */
export function truncateVector(vector: Float32Array, dimensions: number): Float32Array {
  const head = vector.slice(0, dimensions)
  const norm = Math.hypot(...head)
  return norm > 0 ? head.map((x) => x / norm) : head
}
