import { describe, expect, it } from 'vitest'
import { configFromEnv, parseProviders } from '../config.ts'
import { padBatch } from './padded-batch.ts'
import {
  DEVICE_PRESETS,
  batchCostMs,
  blockFor,
  devicePreset,
  standInVectors,
} from './simulated-device.ts'

const a10g = devicePreset('a10g-qwen3-4b-fp16')
const a6000 = devicePreset('a6000-qwen3-0.6b')
const h100 = devicePreset('h100-qwen3-0.6b')

describe('the simulated device: cost model', () => {
  it('fits each preset to the figure it names', () => {
    // The article: Qwen3-Embedding-4B, batch 8 under 80 ms on an A10G (fitted at 64 tokens).
    expect(batchCostMs(a10g, 8, 64)).toBeLessThan(80)
    expect(batchCostMs(a10g, 8, 64)).toBeGreaterThan(70)
    // sglang#31891: the A6000 alone would serve about 2,400 short requests/s (batches of 32 × 32).
    const a6000PerSecond = 32 / (batchCostMs(a6000, 32, 32) / 1000)
    expect(a6000PerSecond).toBeGreaterThan(2_200)
    expect(a6000PerSecond).toBeLessThan(2_600)
    expect(batchCostMs(h100, 32, 32)).toBeLessThan(batchCostMs(a6000, 32, 32))
    for (const preset of Object.values(DEVICE_PRESETS))
      expect(preset.source.length).toBeGreaterThan(20)
    expect(batchCostMs(devicePreset('zero'), 32, 512)).toBe(0)
  })

  it('charges a launch per batch, a cost per padded token, and attention per token pair', () => {
    // One batch of 32 costs far less than 32 batches of one: the reason to batch on a GPU.
    expect(batchCostMs(a6000, 32, 32)).toBeLessThan((32 * batchCostMs(a6000, 1, 32)) / 3)
    // Padding is paid for: 32 rows padded to 256 cost more than 32 rows of 32.
    expect(batchCostMs(a6000, 32, 256)).toBeGreaterThan(batchCostMs(a6000, 32, 32))
    // Attention grows with length squared: at 32K tokens it dominates the per-token term.
    const long = batchCostMs(a10g, 1, 32_768) - a10g.launchMs
    const linear = a10g.perTokenMs * 32_768
    expect(long).toBeGreaterThan(1.5 * linear)
  })

  it('is chosen with EXECUTION_PROVIDERS=sim:<preset>; several entries are several devices', () => {
    expect(parseProviders('sim:a10g-qwen3-4b-fp16,sim:a10g-qwen3-4b-fp16', 0)).toEqual([
      { name: 'sim', preset: 'a10g-qwen3-4b-fp16', deviceId: 0 },
      { name: 'sim', preset: 'a10g-qwen3-4b-fp16', deviceId: 1 },
    ])
    expect(() => parseProviders('sim:rtx-9090', 0)).toThrow(/no simulated device 'rtx-9090'/)
    expect(() => parseProviders('sim:zero,cpu', 0)).toThrow(/cannot be mixed/)
    // Never by a typo: a node on a simulated device needs ALLOW_SIMULATED_DEVICE=1 as well.
    const secret = { NODE_SECRET: 'a-secret-of-enough-length' }
    expect(() => configFromEnv({ ...secret, EXECUTION_PROVIDERS: 'sim:zero' })).toThrow(
      /ALLOW_SIMULATED_DEVICE=1/,
    )
    expect(
      configFromEnv({ ...secret, EXECUTION_PROVIDERS: 'sim:zero', ALLOW_SIMULATED_DEVICE: '1' })
        .session.executionProviders,
    ).toEqual([{ name: 'sim', preset: 'zero', deviceId: 0 }])
  })

  it('blocks its thread for at least the time asked', () => {
    const started = performance.now()
    blockFor(30)
    expect(performance.now() - started).toBeGreaterThanOrEqual(29)
  })
})

describe('the simulated device: stand-in vectors', () => {
  const manifest = {
    padding_side: 'left' as const,
    pad_token_id: 0,
    graph: { position_ids: false, token_type_ids: false },
  }
  const vectorsOf = (rows: number[][], side: 'left' | 'right' = 'left') =>
    standInVectors(padBatch(rows, { ...manifest, padding_side: side } as never), 64).vectors

  it('are unit vectors determined by the token ids alone, whatever batch they ran in', () => {
    const [alone] = vectorsOf([[5, 6, 7]])
    const [, inBatch] = vectorsOf([
      [1, 2, 3, 4, 9, 9],
      [5, 6, 7],
    ])
    const [, padRight] = vectorsOf(
      [
        [1, 2, 3, 4, 9, 9],
        [5, 6, 7],
      ],
      'right',
    )
    expect([...inBatch]).toEqual([...alone])
    expect([...padRight]).toEqual([...alone])
    const norm = Math.hypot(...alone)
    expect(norm).toBeCloseTo(1, 5)
  })

  it('differ for different inputs', () => {
    const [a, b] = vectorsOf([
      [5, 6, 7],
      [5, 6, 8],
    ])
    const dot = a.reduce((sum, x, i) => sum + x * b[i], 0)
    expect(Math.abs(dot)).toBeLessThan(0.5)
  })
})
