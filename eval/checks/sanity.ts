/**
 * Check 5, sanity: unit norm, the same text twice gives the same vector, new texts alone and
 * inside a mixed batch give the same vectors (≤ 1e-5), and base64 answers equal float ones.
 * A caching endpoint (this service) answers the repeats from its cache; the node's own batch
 * invariance is tested in gpu-node/qwen3-embedding.test.ts.
 */
import type { EmbeddingClient } from '../client.ts'

export const MAX_BATCH_DIFFERENCE = 1e-5

export interface SanityResult {
  max_norm_error: number
  deterministic: boolean
  max_batch_difference: number
  base64_matches_float: boolean
  passed: boolean
}

const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0)

export async function checkSanity(client: EmbeddingClient): Promise<SanityResult> {
  const nonce = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  const texts = [
    `A short sentence for the sanity check ${nonce}.`,
    `Eine zweite, etwas längere Zeile, damit die Stapel unterschiedlich lang sind ${nonce}.`,
    `def check_${nonce.replace(/\W/g, '_')}(x):\n    return x * 2`,
  ]
  const alone: Float32Array[] = []
  for (const text of texts) alone.push((await client.embed([text]))[0])
  const filler = [
    `filler one ${nonce}`,
    `a much longer filler sentence, padded for the batch ${nonce} `.repeat(4),
  ]
  const batched = await client.embed([filler[0], ...texts, filler[1]])
  const again = await client.embed(texts)
  const base64 = await client.embed(texts, { encoding: 'base64' })
  const maxNormError = Math.max(...alone.map((v) => Math.abs(Math.hypot(...v) - 1)))
  const deterministic = again.every((v, i) => maxDiff(v, alone[i]) === 0)
  const maxBatchDifference = Math.max(...texts.map((_, i) => maxDiff(alone[i], batched[i + 1])))
  const base64MatchesFloat = base64.every((v, i) => maxDiff(v, Float32Array.from(again[i])) === 0)
  return {
    max_norm_error: maxNormError,
    deterministic,
    max_batch_difference: maxBatchDifference,
    base64_matches_float: base64MatchesFloat,
    passed:
      maxNormError <= 1e-3 &&
      deterministic &&
      maxBatchDifference <= MAX_BATCH_DIFFERENCE &&
      base64MatchesFloat,
  }
}
