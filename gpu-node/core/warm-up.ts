/**
 * Warm-up before `/ready`: every tokenization thread loads its tokenizer, and
 * every session runs a few representative shapes (one short input, a batch of
 * short ones, one long one, a few long ones) so the first real requests pay
 * for no allocation or kernel selection. Long means at most 256 tokens: a
 * warm-up at a 32K context would cost more than it saves.
 */
import type { EmbeddingBackend } from '../backend/backend.ts'
import { padBatch } from '../backend/padded-batch.ts'
import type { BatchingConfig } from '../config.ts'
import type { ModelManifest } from '../model/manifest.ts'
import type { TokenizerPool } from '../tokenization/tokenizer-pool.ts'

const SHORT = 16
const LONG = 256
const TEXT = 'The quick brown fox jumps over the lazy dog, and the dog does not mind at all. '

/** [rows, length] pairs, within the batching limits. */
export function warmUpShapes(
  manifest: Pick<ModelManifest, 'max_input_tokens'>,
  limits: Pick<BatchingConfig, 'maxBatchTokens' | 'maxBatchRequests'>,
): [number, number][] {
  const short = Math.min(SHORT, manifest.max_input_tokens)
  const long = Math.min(LONG, manifest.max_input_tokens, limits.maxBatchTokens)
  const rowsOf = (length: number, most: number) =>
    Math.max(1, Math.min(most, limits.maxBatchRequests, Math.floor(limits.maxBatchTokens / length)))
  const shapes: [number, number][] = [
    [1, short],
    [rowsOf(short, 8), short],
    [1, long],
    [rowsOf(long, 4), long],
  ]
  return shapes.filter(
    ([rows, length], i) => shapes.findIndex(([r, l]) => r === rows && l === length) === i,
  )
}

/**
 * @param observe receives each warm-up batch's padded tokens and seconds (the first run of each
 *   session, which pays one-time costs, excepted), so batching starts from measured costs
 */
export async function warmUp(
  tokenizer: TokenizerPool,
  backends: EmbeddingBackend[],
  manifest: ModelManifest,
  limits: Pick<BatchingConfig, 'maxBatchTokens' | 'maxBatchRequests'>,
  observe: (paddedTokens: number, seconds: number) => void = () => {},
): Promise<void> {
  await tokenizer.warmUp()
  const [ids] = await tokenizer.encode([{ text: TEXT.repeat(64) }], true, [0])
  const shapes = warmUpShapes(manifest, limits)
  await Promise.all(
    backends.map(async (backend) => {
      for (const [rows, length] of shapes) {
        const row = Array.from(ids.slice(0, length))
        await backend.embed(
          padBatch(
            Array.from({ length: rows }, () => row),
            manifest,
          ),
        )
      }
    }),
  )
}
