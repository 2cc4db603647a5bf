import { describe, expect, it } from 'vitest'
import { float32ArrayJson, float32Text } from './float32-json.ts'

/** Float32 values from every part of the range, from a fixed seed (not Math.random). */
function float32Samples(count: number): Float32Array {
  const bits = new Uint32Array(count)
  let state = 0x2545f491
  for (let i = 0; i < count; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    bits[i] = state >>> 0
  }
  return new Float32Array(bits.buffer).filter(Number.isFinite)
}

describe('float32 vectors as JSON', () => {
  it('reads back as exactly the same float32 values, across the whole range', () => {
    const values = float32Samples(200_000)
    expect(new Float32Array(JSON.parse(float32ArrayJson(values)))).toEqual(values)
  })

  it('reads back exactly for a unit vector, in under 0.7 times the bytes of JSON.stringify', () => {
    const raw = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453)
    const norm = Math.hypot(...raw)
    const unit = raw.map((x) => x / norm)
    const short = float32ArrayJson(unit)
    expect(new Float32Array(JSON.parse(short))).toEqual(unit)
    expect(short.length).toBeLessThan(0.7 * JSON.stringify(Array.from(unit)).length)
  })

  it('writes round values plainly, and tiny and huge ones with an exponent JSON accepts', () => {
    expect([0, -0, 1, 0.5, -2.5].map((x) => float32Text(Math.fround(x)))).toEqual([
      '0',
      '0',
      '1',
      '0.5',
      '-2.5',
    ])
    expect(float32Text(Math.fround(0.1))).toBe('0.1')
    expect(float32Text(Math.fround(1e-10))).toBe('1e-10')
    expect(JSON.parse(float32Text(Math.fround(3.4e38)))).toBe(3.4e38)
    expect(float32Text(NaN)).toBe('null')
  })
})
