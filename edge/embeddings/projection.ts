/**
 * Matryoshka projection: the first `dimensions` components of a full,
 * normalized vector, renormalized to unit length (the order OpenAI and
 * text-embeddings-inference use). Every `dimensions` is served from one
 * stored full vector.
 */

/** Returns a new unit-length vector of the first `dimensions` components of `full`. */
export function projectVector(full: Float32Array, dimensions: number): Float32Array {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > full.length) {
    throw new RangeError(
      `dimensions must be an integer from 1 to ${full.length}, got ${dimensions}`,
    )
  }
  const out = full.slice(0, dimensions)
  let sumOfSquares = 0
  for (let i = 0; i < out.length; i++) sumOfSquares += out[i] * out[i]
  // A zero prefix cannot be normalized; returning it as is beats dividing by zero.
  if (sumOfSquares === 0) return out
  const scale = 1 / Math.sqrt(sumOfSquares)
  for (let i = 0; i < out.length; i++) out[i] *= scale
  return out
}
