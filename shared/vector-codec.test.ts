import { describe, expect, it } from 'vitest'
import { base64ToVector, decodeFrame, encodeFrame, vectorToBase64 } from './vector-codec.ts'

describe('vector frame', () => {
  it('round-trips vectors and token counts exactly', () => {
    const vectors = [new Float32Array([0.1, -0.2, 0.3]), new Float32Array([1e-30, 3.4e38, -0])]
    const frame = decodeFrame(encodeFrame({ vectors, tokenCounts: [7, 32768] }))
    expect(frame.tokenCounts).toEqual([7, 32768])
    expect(frame.vectors.map((v) => Array.from(v))).toEqual(vectors.map((v) => Array.from(v)))
  })

  it('decodes a frame that sits at an odd offset inside a larger buffer', () => {
    const encoded = encodeFrame({ vectors: [new Float32Array([0.5, 0.25])], tokenCounts: [2] })
    const padded = new Uint8Array(encoded.length + 1)
    padded.set(encoded, 1)
    expect(Array.from(decodeFrame(padded.subarray(1)).vectors[0])).toEqual([0.5, 0.25])
  })

  it('decodes bytes whose slice() is a view, as a Node Buffer from a shared pool is', () => {
    // Buffer.prototype.slice returns a view of its (often pooled) memory, not a copy.
    class ViewSlicing extends Uint8Array {
      override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
        return this.subarray(start, end)
      }
    }
    const encoded = encodeFrame({ vectors: [new Float32Array([0.5, 0.25])], tokenCounts: [2] })
    const pool = new ViewSlicing(encoded.length + 64)
    pool.fill(0xff)
    pool.set(encoded, 3)
    const frame = decodeFrame(pool.subarray(3, 3 + encoded.length))
    expect(Array.from(frame.vectors[0])).toEqual([0.5, 0.25])
  })

  it('rejects truncated or foreign bytes instead of returning garbage', () => {
    const encoded = encodeFrame({ vectors: [new Float32Array([1, 2])], tokenCounts: [1] })
    expect(() => decodeFrame(encoded.subarray(0, encoded.length - 1))).toThrow(/bytes/)
    expect(() => decodeFrame(new TextEncoder().encode('{"error":"oops"}'))).toThrow(/magic/)
  })
})

describe('base64 vectors', () => {
  it('is little-endian float32, as OpenAI clients decode it', () => {
    // 1.0f is 00 00 80 3f in little-endian.
    expect(vectorToBase64(new Float32Array([1]))).toBe('AACAPw==')
    expect(Array.from(base64ToVector('AACAPw=='))).toEqual([1])
  })

  it('encodes only the view, not the whole underlying buffer', () => {
    const backing = new Float32Array([9, 1, 2, 9])
    expect(Array.from(base64ToVector(vectorToBase64(backing.subarray(1, 3))))).toEqual([1, 2])
  })
})
