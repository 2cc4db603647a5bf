/**
 * What a closed loop of N clients allows the device (closed-loop-ceiling.ts): never more than
 * the tokens alone cost, more with more clients when a run has a fixed cost, and
 * exactly the device's rate when every text has one length.
 */
import { describe, expect, it } from 'vitest'
import type { DeviceCostModel } from '../../../gpu-node/backend/simulated-device.ts'
import { closedLoopCeiling } from './closed-loop-ceiling.ts'

const device: DeviceCostModel = {
  name: 'test',
  source: 'a test device',
  launchMs: 1,
  perTokenMs: 0.01,
  perPairMs: 0,
}
const limits = { maxBatchTokens: 16_384, maxBatchRequests: 256 }

describe('closedLoopCeiling', () => {
  it('is the device rate itself when all texts share one length', () => {
    // 8 texts of 100 tokens in one run: 1 + 0.01 × 800 = 9 ms.
    expect(closedLoopCeiling(device, [100, 100, 100], 8, limits)).toBeCloseTo(8 / 0.009, 6)
  })

  it('grows with the clients when a run has a fixed cost, and stays under the cost of the tokens alone', () => {
    const lengths = Array.from({ length: 500 }, (_, i) => 10 + ((i * 37) % 400))
    const rates = [1, 8, 64, 256].map((clients) =>
      closedLoopCeiling(device, lengths, clients, limits),
    )
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeGreaterThan(rates[i - 1])
    // No split beats running every text with no padding and no launch at all.
    const meanLength = lengths.reduce((sum, n) => sum + n, 0) / lengths.length
    expect(rates[3]).toBeLessThan(1000 / (0.01 * meanLength))
  })
})
