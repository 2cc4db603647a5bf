/**
 * Check 4, Matryoshka: the retrieval set's MRR@10 (matching instruction) at `dimensions` 32, 64,
 * 128, 256, 512, 1024 and full, asked of the endpoint itself, and the share of full-size quality
 * each keeps. It passes when a quarter of the full size keeps at least 90%.
 */
import { EvalError, type EmbeddingClient } from '../client.ts'
import { instructionData } from '../data.ts'
import { mrrAtK } from '../metrics.ts'
import { qwen3Query } from './instructions.ts'

export const SIZES = [32, 64, 128, 256, 512, 1024]
export const MIN_KEPT_AT_QUARTER = 0.9

export interface MatryoshkaResult {
  full: number
  points: { dimensions: number; mrr_at_10: number; kept: number }[]
  passed: boolean
  /** Set when the endpoint refused `dimensions` (e.g. OpenAI's ada-002): nothing to measure. */
  unsupported?: string
}

export async function checkMatryoshka(
  client: EmbeddingClient,
  fullDimensions: number,
): Promise<MatryoshkaResult> {
  const { instructions, retrieval } = instructionData()
  const { passages, queries } = retrieval
  const relevant = queries.map((q) =>
    q.relevant.map((id) => passages.findIndex((p) => p.id === id)),
  )
  const queryTexts = queries.map((q) => qwen3Query(instructions[retrieval.instruction], q.text))
  const sizes = [...SIZES.filter((size) => size < fullDimensions), fullDimensions]
  const mrrs: number[] = []
  for (const dimensions of sizes) {
    const options = dimensions === fullDimensions ? {} : { dimensions }
    try {
      const documents = await client.embed(
        passages.map((p) => p.text),
        options,
      )
      mrrs.push(mrrAtK(await client.embed(queryTexts, options), documents, relevant))
    } catch (err) {
      // An endpoint without `dimensions` support fails this check, not the whole report.
      if (!(err instanceof EvalError) || !/answered 4\d\d/.test(err.message)) throw err
      return { full: NaN, points: [], passed: false, unsupported: err.message }
    }
  }
  const full = mrrs.at(-1)!
  const points = sizes.map((dimensions, i) => ({
    dimensions,
    mrr_at_10: mrrs[i],
    kept: full > 0 ? mrrs[i] / full : 0,
  }))
  const quarter = points.find((p) => p.dimensions >= fullDimensions / 4) ?? points.at(-1)!
  return { full, points, passed: quarter.kept >= MIN_KEPT_AT_QUARTER }
}
