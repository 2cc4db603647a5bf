/**
 * Contender (d), the ceiling: `session.run` alone on pre-tokenized input, no server, no
 * tokenizer, no pooling. Rows are sorted by length before they are cut into batches, so padding
 * is as small as any batcher could make it; each batch size runs for a bounded time and the
 * best real-tokens/s is the ceiling. Tensors are built before the clock starts.
 */
import * as ort from 'onnxruntime-node'
import type { ModelManifest } from '../../../gpu-node/model/manifest.ts'
import { buildFeeds, type Feeds } from './feeds.ts'

export interface CeilingPoint {
  batchSize: number
  runs: number
  /** Real (unpadded) tokens processed, and the same padded to each batch's longest row. */
  tokens: number
  paddedTokens: number
  seconds: number
  tokensPerSecond: number
  embeddingsPerSecond: number
  /** Model FLOPs per second, when a FLOP count was given. */
  gflops: number | null
}

export interface CeilingResult {
  points: CeilingPoint[]
  best: CeilingPoint
}

export async function measureCeiling(options: {
  onnxPath: string
  manifest: ModelManifest
  sessionOptions: ort.InferenceSession.SessionOptions
  rows: number[][]
  batchSizes: number[]
  secondsPerSize: number
  /** FLOPs of one input of n tokens (flops.ts), for the GFLOP/s column. */
  flopsOf?: (tokens: number) => number
  log: (line: string) => void
}): Promise<CeilingResult> {
  const session = await ort.InferenceSession.create(options.onnxPath, options.sessionOptions)
  const sorted = [...options.rows].sort((a, b) => a.length - b.length)
  const points: CeilingPoint[] = []
  try {
    for (const batchSize of options.batchSizes) {
      const batches: { feeds: Feeds; rows: number[][] }[] = []
      for (let i = 0; i < sorted.length; i += batchSize) {
        const rows = sorted.slice(i, i + batchSize)
        batches.push({ feeds: buildFeeds(session, options.manifest, rows), rows })
      }
      // Shortest batch first, once, untimed: the first run of a shape pays for allocations.
      await session.run(batches[0].feeds.feeds)
      const order = medianOutwards(batches.length)
      let runs = 0
      let embeddings = 0
      let tokens = 0
      let paddedTokens = 0
      let flops = 0
      const started = performance.now()
      do {
        const batch = batches[order[runs % order.length]]
        await session.run(batch.feeds.feeds)
        runs++
        embeddings += batch.rows.length
        for (const row of batch.rows) {
          tokens += row.length
          flops += options.flopsOf?.(row.length) ?? 0
        }
        paddedTokens += batch.feeds.rows * batch.feeds.seq
      } while (performance.now() - started < options.secondsPerSize * 1000)
      const seconds = (performance.now() - started) / 1000
      const point: CeilingPoint = {
        batchSize,
        runs,
        tokens,
        paddedTokens,
        seconds,
        tokensPerSecond: tokens / seconds,
        embeddingsPerSecond: embeddings / seconds,
        gflops: options.flopsOf ? flops / seconds / 1e9 : null,
      }
      points.push(point)
      options.log(
        `ceiling: batch ${batchSize}: ${runs} runs, ${point.tokensPerSecond.toFixed(0)} tokens/s, ` +
          `${point.embeddingsPerSecond.toFixed(1)} embeddings/s, padding ${(100 * (1 - tokens / paddedTokens)).toFixed(1)}%`,
      )
    }
  } finally {
    await session.release()
  }
  const best = points.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a))
  return { points, best }
}

/**
 * Batch order from the median length outwards (m, m+1, m-1, m+2, ...): a run the time bound
 * stops after a few batches has still seen typical ones, and longer and shorter ones in turn.
 */
function medianOutwards(n: number): number[] {
  const middle = Math.floor((n - 1) / 2)
  const order = [middle]
  for (let step = 1; order.length < n; step++) {
    if (middle + step < n) order.push(middle + step)
    if (middle - step >= 0) order.push(middle - step)
  }
  return order
}
