/**
 * Token ids of several inputs → the rectangular int64 arrays a graph takes:
 * padded on the manifest's side, an attention mask, position ids that count
 * from 0 at the first real token (padding gets 1, as Hugging Face does), and
 * all-zero token types for single-text models that want them.
 *
 * Built on the main thread while the previous batch runs, then handed to the
 * session's worker thread by transfer, so the arrays are plain typed arrays.
 */
import type { ModelManifest } from '../model/manifest.ts'

export interface PaddedBatch {
  rows: number
  /** Padded length: the longest input in the batch. */
  seq: number
  inputIds: BigInt64Array
  attentionMask: BigInt64Array
  /** Present when the graph takes `position_ids`. */
  positionIds: BigInt64Array | null
  /** Present when the graph takes `token_type_ids`. */
  tokenTypeIds: BigInt64Array | null
  /** Real (unpadded) tokens in the batch. */
  realTokens: number
}

type PaddingSettings = Pick<ModelManifest, 'padding_side' | 'pad_token_id' | 'graph'>

export function padBatch(batch: ArrayLike<number>[], manifest: PaddingSettings): PaddedBatch {
  const rows = batch.length
  const seq = Math.max(...batch.map((ids) => ids.length))
  const inputIds = new BigInt64Array(rows * seq).fill(BigInt(manifest.pad_token_id))
  const attentionMask = new BigInt64Array(rows * seq)
  const positionIds = manifest.graph.position_ids ? new BigInt64Array(rows * seq).fill(1n) : null
  let realTokens = 0
  for (let b = 0; b < rows; b++) {
    const row = batch[b]
    const start = b * seq + (manifest.padding_side === 'left' ? seq - row.length : 0)
    for (let t = 0; t < row.length; t++) {
      inputIds[start + t] = BigInt(row[t])
      attentionMask[start + t] = 1n
      if (positionIds) positionIds[start + t] = BigInt(t)
    }
    realTokens += row.length
  }
  const tokenTypeIds = manifest.graph.token_type_ids ? new BigInt64Array(rows * seq) : null
  return { rows, seq, inputIds, attentionMask, positionIds, tokenTypeIds, realTokens }
}

/** The buffers to transfer (not copy) when the batch crosses to a worker thread. */
export function batchBuffers(batch: PaddedBatch): ArrayBuffer[] {
  return [batch.inputIds, batch.attentionMask, batch.positionIds, batch.tokenTypeIds]
    .filter((array): array is BigInt64Array => array !== null)
    .map((array) => array.buffer as ArrayBuffer)
}
