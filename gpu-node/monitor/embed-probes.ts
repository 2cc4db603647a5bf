/**
 * How the drift probes reach the model: tokenized by the node's own
 * tokenizers, padded as any batch, and run on the node's own sessions, but
 * straight to a session rather than through the queue. So they pass every
 * cache and stay out of the traffic statistics: 32 short texts every few
 * minutes, which a session takes between two batches (its worker runs one at a
 * time; a batch that waits behind them counts their time in its own).
 */
import type { EmbeddingBackend } from '../backend/backend.ts'
import { padBatch } from '../backend/padded-batch.ts'
import type { ModelManifest } from '../model/manifest.ts'
import type { TokenizerPool } from '../tokenization/tokenizer-pool.ts'
import type { EmbedProbes } from './drift-monitor.ts'

export function embedProbesOn(
  tokenizer: TokenizerPool,
  backends: EmbeddingBackend[],
  manifest: ModelManifest,
  maxBatchRequests: number,
): EmbedProbes {
  let next = 0
  return async (texts) => {
    const ids = await tokenizer.encode(
      texts.map((text) => ({ text })),
      true,
      texts.map((_, i) => i),
    )
    const vectors: Float32Array[] = []
    const norms: number[] = []
    for (let start = 0; start < ids.length; start += maxBatchRequests) {
      const live = backends.filter((backend) => backend.alive)
      if (live.length === 0) throw new Error('no inference session is running')
      const backend = live[next++ % live.length]
      const batch = await backend.embed(
        padBatch(ids.slice(start, start + maxBatchRequests), manifest),
      )
      vectors.push(...batch.vectors)
      norms.push(...batch.norms)
    }
    return { vectors, norms }
  }
}
