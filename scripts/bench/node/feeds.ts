/**
 * Token id rows → the graph's input tensors, padded on the manifest's side, with position ids
 * that skip padding and empty `past_key_values.*` for exports that take them. The baselines and
 * the ceiling build their inputs here, apart from gpu-node's code, so that a comparison cannot
 * inherit a mistake of the system it measures (main.ts checks that the vectors agree).
 */
import * as ort from 'onnxruntime-node'
import type { ModelManifest } from '../../../gpu-node/model/manifest.ts'

export interface Feeds {
  feeds: Record<string, ort.Tensor>
  /** `[rows, seq]`, 1 on real tokens; pooling reads it. */
  mask: BigInt64Array
  rows: number
  seq: number
}

export function buildFeeds(
  session: ort.InferenceSession,
  manifest: ModelManifest,
  batch: number[][],
): Feeds {
  const rows = batch.length
  const seq = Math.max(...batch.map((ids) => ids.length))
  const ids = new BigInt64Array(rows * seq).fill(BigInt(manifest.pad_token_id))
  const mask = new BigInt64Array(rows * seq)
  const positions = new BigInt64Array(rows * seq).fill(1n)
  batch.forEach((row, r) => {
    const start = r * seq + (manifest.padding_side === 'left' ? seq - row.length : 0)
    row.forEach((id, t) => {
      ids[start + t] = BigInt(id)
      mask[start + t] = 1n
      positions[start + t] = BigInt(t)
    })
  })
  const graph = manifest.graph
  const shape = [rows, seq]
  const feeds: Record<string, ort.Tensor> = {
    [graph.input_ids]: new ort.Tensor('int64', ids, shape),
  }
  if (graph.attention_mask) feeds[graph.attention_mask] = new ort.Tensor('int64', mask, shape)
  if (graph.position_ids) feeds[graph.position_ids] = new ort.Tensor('int64', positions, shape)
  if (graph.token_type_ids)
    feeds[graph.token_type_ids] = new ort.Tensor('int64', new BigInt64Array(rows * seq), shape)
  for (const meta of session.inputMetadata) {
    if (!meta.name.startsWith('past_key_values.') || !meta.isTensor) continue
    const [, kvHeads, , headDim] = meta.shape
    feeds[meta.name] = new ort.Tensor('float32', new Float32Array(0), [
      rows,
      Number(kvHeads),
      0,
      Number(headDim),
    ])
  }
  return { feeds, mask, rows, seq }
}
