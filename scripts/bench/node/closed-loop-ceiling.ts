/**
 * The device's best when it can only ever see as many texts as there are clients: a closed loop
 * of N clients has at most N texts in flight, so no server can sort a thousand of them by length
 * as the (d) ceiling does. This draws N texts of the workload's lengths at a time, splits each
 * draw into the batches that cost least on the device (contiguous in length order, within the
 * batch limits; the same split the node's queue looks for), and gives the mean embeddings/s.
 *
 * It is an estimate of what N clients allow, not a proof: a server that held long texts back to
 * group them with later ones could do somewhat better, at the cost of those clients' latency.
 */
import { batchCostMs, type DeviceCostModel } from '../../../gpu-node/backend/simulated-device.ts'
import { mulberry32 } from '../../../shared/seeded-random.ts'

/** Draws averaged over; seeded, so every run computes the same figure. */
const DRAWS = 400
const SEED = 20_260_601

export function closedLoopCeiling(
  model: DeviceCostModel,
  lengths: number[],
  clients: number,
  limits: { maxBatchTokens: number; maxBatchRequests: number },
): number {
  const random = mulberry32(SEED)
  let embeddings = 0
  let ms = 0
  for (let draw = 0; draw < DRAWS; draw++) {
    const texts = Array.from(
      { length: clients },
      () => lengths[Math.floor(random() * lengths.length)],
    ).sort((a, b) => a - b)
    // least[i]: the least device time for the i shortest texts of this draw.
    const least = new Float64Array(clients + 1).fill(Infinity)
    least[0] = 0
    for (let to = 1; to <= clients; to++) {
      for (let from = to - 1; from >= Math.max(0, to - limits.maxBatchRequests); from--) {
        const rows = to - from
        const seq = texts[to - 1]
        if (rows > 1 && rows * seq > limits.maxBatchTokens) break
        least[to] = Math.min(least[to], least[from] + batchCostMs(model, rows, seq))
      }
    }
    embeddings += clients
    ms += least[clients]
  }
  return ms === 0 ? Infinity : embeddings / (ms / 1000)
}
