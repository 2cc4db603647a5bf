/**
 * 8-bit blockwise weights for `com.microsoft` `MatMulNBits` (bits = 8), the layout Qdrant's
 * `model_quantized.onnx` uses, checked against onnxruntime 1.30's CPU kernel:
 *
 * - B: uint8 [N, K / block, block], B[n, b, j] = q(W[b * block + j, n]) (W is MatMul's [K, N]);
 * - scales: float32 [N, K / block]; no zero_points input, so the zero point is 128;
 * - W[k, n] ≈ (B[n, b, j] - 128) × scale[n, b], symmetric: scale = max |W| in the block / 127.
 */

export interface Quantized8 {
  q8: Uint8Array
  scales: Float32Array
  /** [N, blocks, block] and [N, blocks]. */
  dims: { q8: number[]; scales: number[] }
}

/** @param w row-major [K, N]; K must be a multiple of `block` */
export function quantizeBlockwise8(
  w: Float32Array,
  K: number,
  N: number,
  block: number,
): Quantized8 {
  if (K % block !== 0) throw new Error(`K (${K}) must be a multiple of the block (${block})`)
  const blocks = K / block
  const q8 = new Uint8Array(N * K)
  const scales = new Float32Array(N * blocks)
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      let absMax = 0
      for (let j = 0; j < block; j++)
        absMax = Math.max(absMax, Math.abs(w[(b * block + j) * N + n]))
      const scale = Math.fround(absMax / 127)
      scales[n * blocks + b] = scale
      const inverse = scale === 0 ? 0 : 1 / scale
      for (let j = 0; j < block; j++) {
        const q = Math.round(w[(b * block + j) * N + n] * inverse)
        q8[(n * blocks + b) * block + j] = Math.min(255, Math.max(0, q + 128))
      }
    }
  }
  return { q8, scales, dims: { q8: [N, blocks, block], scales: [N, blocks] } }
}
