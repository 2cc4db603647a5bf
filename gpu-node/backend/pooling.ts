/**
 * One vector per input from the graph's output, then unit length.
 * Pooling reads the attention mask, so it is right for either padding side.
 */
import type { Pooling } from '../model/manifest.ts'
import { float16ToFloat32 } from './float16.ts'

/**
 * @param hidden `[batch, seq, width]` row-major (or `[batch, width]` for `in_graph`); a
 *   Uint16Array holds float16 bits, and only the rows pooling reads are widened to float32
 * @param mask `[batch, seq]`, 1 for real tokens
 */
export function poolBatch(
  pooling: Pooling,
  hidden: Float32Array | Uint16Array,
  mask: BigInt64Array,
  batch: number,
  seq: number,
  width: number,
): Float32Array[] {
  const vectors: Float32Array[] = []
  // `view` may share the output's memory; `read` always returns a vector of its own.
  const view = (start: number) =>
    hidden instanceof Uint16Array
      ? float16ToFloat32(hidden.subarray(start, start + width))
      : hidden.subarray(start, start + width)
  const read = (start: number) =>
    hidden instanceof Uint16Array ? view(start) : hidden.slice(start, start + width)
  for (let b = 0; b < batch; b++) {
    if (pooling === 'in_graph') {
      vectors.push(read(b * width))
      continue
    }
    const realPositions: number[] = []
    for (let t = 0; t < seq; t++) if (mask[b * seq + t] !== 0n) realPositions.push(t)
    const rowStart = (t: number) => (b * seq + t) * width
    if (pooling === 'last_token' || pooling === 'cls') {
      const t = pooling === 'last_token' ? realPositions.at(-1)! : realPositions[0]
      vectors.push(read(rowStart(t)))
      continue
    }
    const sum = new Float32Array(width)
    for (const t of realPositions) {
      const row = view(rowStart(t))
      for (let i = 0; i < width; i++) sum[i] += row[i]
    }
    for (let i = 0; i < width; i++) sum[i] /= realPositions.length
    vectors.push(sum)
  }
  return vectors
}

/** Scales a vector to unit L2 norm in place (a zero vector stays zero). */
export function l2Normalize(vector: Float32Array): Float32Array {
  normalizeInPlace(vector)
  return vector
}

/**
 * Scales a vector to unit L2 norm in place and returns the norm it had: NaN when a component
 * is NaN or infinite (the vector is then left as it was), 0 for a zero vector.
 */
export function normalizeInPlace(vector: Float32Array): number {
  let sumOfSquares = 0
  for (let i = 0; i < vector.length; i++) sumOfSquares += vector[i] * vector[i]
  const norm = Math.sqrt(sumOfSquares)
  if (!Number.isFinite(norm)) return NaN
  if (norm > 0) {
    const scale = 1 / norm
    for (let i = 0; i < vector.length; i++) vector[i] *= scale
  }
  return norm
}
