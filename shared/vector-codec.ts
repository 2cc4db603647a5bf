/**
 * The binary forms of vectors:
 * - the edge↔node frame: many full vectors plus a token count each, because
 *   JSON float arrays cost more to print and parse than the inference itself;
 * - OpenAI's `encoding_format: "base64"`: little-endian float32 bytes.
 *
 * Float32Array uses the platform's byte order; every platform either tier runs
 * on (x86-64, ARM64, workerd) is little-endian, which both formats require.
 */
import { decodeBase64, encodeBase64 } from 'hono/utils/encode'

const FRAME_MAGIC = 0x31424d45 // 'EMB1' read as a little-endian u32
const HEADER_BYTES = 12 // magic, count, dimensions

export interface VectorFrame {
  /** One entry per input, in request order. */
  vectors: Float32Array[]
  /** Tokens the model saw for each input (after truncation, special tokens included). */
  tokenCounts: number[]
}

/**
 * Frame layout (all little-endian): u32 magic 'EMB1', u32 count, u32 dimensions,
 * count × u32 token counts, count × dimensions × f32 vectors.
 */
export function encodeFrame(frame: VectorFrame): Uint8Array<ArrayBuffer> {
  const count = frame.vectors.length
  if (frame.tokenCounts.length !== count) throw new Error('one token count per vector')
  const dimensions = count === 0 ? 0 : frame.vectors[0].length
  const bytes = new Uint8Array(HEADER_BYTES + count * 4 + count * dimensions * 4)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, FRAME_MAGIC, true)
  view.setUint32(4, count, true)
  view.setUint32(8, dimensions, true)
  frame.tokenCounts.forEach((tokens, i) => view.setUint32(HEADER_BYTES + i * 4, tokens, true))
  const floats = new Float32Array(bytes.buffer, HEADER_BYTES + count * 4, count * dimensions)
  frame.vectors.forEach((vector, i) => {
    if (vector.length !== dimensions) throw new Error('all vectors in a frame have one size')
    floats.set(vector, i * dimensions)
  })
  return bytes
}

/** Decodes a frame; throws on anything that is not a whole, well-formed frame. */
export function decodeFrame(input: ArrayBuffer | Uint8Array): VectorFrame {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input)
  if (bytes.byteLength < HEADER_BYTES) throw new Error('vector frame: truncated header')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(0, true) !== FRAME_MAGIC) throw new Error('vector frame: bad magic')
  const count = view.getUint32(4, true)
  const dimensions = view.getUint32(8, true)
  const expected = HEADER_BYTES + count * 4 + count * dimensions * 4
  if (bytes.byteLength !== expected) {
    throw new Error(`vector frame: ${bytes.byteLength} bytes, expected ${expected}`)
  }
  const tokenCounts = Array.from({ length: count }, (_, i) =>
    view.getUint32(HEADER_BYTES + i * 4, true),
  )
  // Copy out so each vector owns an aligned buffer, whatever the input's offset. The copy is
  // made with the Uint8Array constructor: a Node Buffer's own slice() is a view, not a copy.
  const floats = new Float32Array(new Uint8Array(bytes.subarray(HEADER_BYTES + count * 4)).buffer)
  const vectors = Array.from({ length: count }, (_, i) =>
    floats.slice(i * dimensions, (i + 1) * dimensions),
  )
  return { vectors, tokenCounts }
}

/** A vector as OpenAI's base64 encoding: little-endian float32 bytes. */
export function vectorToBase64(vector: Float32Array): string {
  return encodeBase64(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength))
}

/** The inverse of vectorToBase64. */
export function base64ToVector(base64: string): Float32Array {
  const bytes = decodeBase64(base64)
  if (bytes.byteLength % 4 !== 0) throw new Error('base64 vector: length is not a multiple of 4')
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
}

/** Raw float32 bytes of one vector, as stored in the cache. */
export function vectorToBytes(vector: Float32Array): ArrayBuffer {
  return vector.buffer.slice(
    vector.byteOffset,
    vector.byteOffset + vector.byteLength,
  ) as ArrayBuffer
}

/** A stored vector back from its bytes. */
export function bytesToVector(bytes: ArrayBuffer): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new Error('stored vector: length is not a multiple of 4')
  return new Float32Array(bytes.slice(0))
}
