import { describe, expect, it } from 'vitest'
import { base64ToVector } from '../../shared/vector-codec.ts'
import {
  embeddingJson,
  embeddingsResponseJson,
  embeddingsResponseStream,
} from './embedding-json.ts'

/** A float JSON array read back as float32, the precision it was written in. */
const floats = (json: string) => new Float32Array(JSON.parse(json))

const vector = (seed: number) =>
  Float32Array.from({ length: 64 }, (_, i) => Math.sin(seed * 100 + i) / 8)

/** Matryoshka, written out apart from the code under test: the first `d`, over their L2 norm. */
function prefixAtUnitLength(full: Float32Array, d: number): number[] {
  const prefix = Array.from(full.subarray(0, d))
  const norm = Math.sqrt(prefix.reduce((sum, x) => sum + x * x, 0))
  return prefix.map((x) => x / norm)
}

/** Equal to float32 precision: the answer is written in float32. */
function expectNear(actual: ArrayLike<number>, expected: number[]) {
  expect(actual).toHaveLength(expected.length)
  expected.forEach((x, i) => expect(actual[i], `[${i}]`).toBeCloseTo(x, 6))
}

describe('embeddings written as JSON', () => {
  it('parses to the response JSON.stringify would give', () => {
    const v = vector(1)
    const text = embeddingsResponseJson(
      [
        { index: 0, json: embeddingJson('k0', v, 64, 'float', true) },
        { index: 1, json: embeddingJson('k1', v, 32, 'base64', true) },
      ],
      'model "x"',
      12,
    )
    expect(JSON.parse(text)).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: expect.any(Array) },
        { object: 'embedding', index: 1, embedding: expect.any(String) },
      ],
      model: 'model "x"',
      usage: { prompt_tokens: 12, total_tokens: 12 },
    })
    expect(new Float32Array(JSON.parse(text).data[0].embedding)).toEqual(v)
    const decoded = base64ToVector(JSON.parse(text).data[1].embedding)
    expectNear(decoded, prefixAtUnitLength(v, 32))
  })

  it('streams, a few embeddings per chunk, exactly the text it would write at once', async () => {
    for (const count of [1, 16, 17, 100]) {
      const jsonAt = (i: number) => embeddingJson(`s${i}`, vector(i), 64, 'float', true)
      const whole = embeddingsResponseJson(
        Array.from({ length: count }, (_, index) => ({ index, json: jsonAt(index) })),
        'm',
        7,
      )
      const stream = embeddingsResponseStream(count, jsonAt, 'm', 7)
      let chunks = 0
      let streamed = ''
      const decoder = new TextDecoder()
      const reader = stream.getReader()
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        chunks++
        streamed += decoder.decode(read.value, { stream: true })
      }
      expect(streamed).toBe(whole)
      expect(chunks).toBe(Math.ceil(count / 16))
    }
  })

  it('reuses text only for the very vector it was written from', () => {
    const first = vector(2)
    expect(floats(embeddingJson('same-key', first, 64, 'float', true))).toEqual(first)
    // The same key, after expiry and a new embedding: a different vector object.
    const second = vector(3)
    expect(floats(embeddingJson('same-key', second, 64, 'float', true))).toEqual(second)
  })

  it('keeps dimensions and encodings of one key apart', () => {
    const v = vector(4)
    const full = floats(embeddingJson('k', v, 64, 'float', true))
    const cut = floats(embeddingJson('k', v, 16, 'float', true))
    expect(full).toHaveLength(64)
    expectNear(cut, prefixAtUnitLength(v, 16))
    expect(typeof JSON.parse(embeddingJson('k', v, 64, 'base64', true))).toBe('string')
  })
})
