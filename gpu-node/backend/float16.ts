/**
 * IEEE 754 half precision ↔ float32, for graphs whose outputs are float16
 * (fp16 and q4f16 exports). onnxruntime-node hands float16 data over as the
 * raw bits in a Uint16Array; Node 20 has no Float16Array to read them with.
 */

/** Decodes half-precision bits into float32 values. */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length)
  for (let i = 0; i < bits.length; i++) out[i] = halfToFloat(bits[i])
  return out
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exponent = (h >> 10) & 0x1f
  const fraction = h & 0x3ff
  if (exponent === 0) return sign * fraction * 2 ** -24 // subnormal (or zero)
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15)
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** Rounds float32 values to half precision (to nearest, ties to even), as bits. */
export function float32ToFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length)
  for (let i = 0; i < values.length; i++) out[i] = floatToHalf(values[i])
  return out
}

function floatToHalf(value: number): number {
  f32[0] = value
  const x = u32[0]
  const sign = (x >>> 16) & 0x8000
  const exponent = (x >>> 23) & 0xff
  let mantissa = x & 0x7fffff
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0) // Inf, NaN
  const e = exponent - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00 // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign // underflow → ±0
    mantissa |= 0x800000
    const shift = 14 - e
    const half = 1 << (shift - 1)
    const rest = mantissa & ((1 << shift) - 1)
    let result = mantissa >>> shift
    if (rest > half || (rest === half && (result & 1) === 1)) result++
    return sign | result
  }
  let result = (e << 10) | (mantissa >>> 13)
  const rest = mantissa & 0x1fff
  if (rest > 0x1000 || (rest === 0x1000 && (result & 1) === 1)) result++ // may carry into exponent
  return sign | result
}
