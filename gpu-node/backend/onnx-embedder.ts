/**
 * Runs one padded batch of token ids through the ONNX graph and returns one
 * unit-length, full-dimension vector per row. Everything that depends on the
 * model's export (padding side, position ids, token types, empty KV cache)
 * comes from the manifest and the graph's own input list.
 */
import * as ort from 'onnxruntime-node'
import type { ModelManifest } from '../model/manifest.ts'
import { l2Normalize, poolBatch } from './pooling.ts'

const PAST_PREFIX = 'past_key_values.'

export class OnnxEmbedder {
  private readonly pastShapes: Map<string, { kvHeads: number; headDim: number }>

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly manifest: ModelManifest,
  ) {
    this.pastShapes = new Map()
    for (const meta of session.inputMetadata) {
      if (!meta.name.startsWith(PAST_PREFIX)) continue
      const shape = meta.isTensor ? meta.shape : []
      const [kvHeads, headDim] = [shape[1], shape[3]]
      if (typeof kvHeads !== 'number' || typeof headDim !== 'number') {
        throw new Error(
          `${meta.name}: KV heads and head size must be fixed in the graph to feed an empty cache`,
        )
      }
      this.pastShapes.set(meta.name, { kvHeads, headDim })
    }
    const graph = manifest.graph
    for (const name of [
      graph.input_ids,
      graph.attention_mask,
      graph.position_ids,
      graph.token_type_ids,
    ]) {
      if (name && !session.inputNames.includes(name))
        throw new Error(`the graph has no input '${name}'`)
    }
    if (!session.outputNames.includes(graph.output))
      throw new Error(`the graph has no output '${graph.output}'`)
  }

  get dimensions(): number {
    return this.manifest.dimensions
  }

  async embed(batch: number[][]): Promise<Float32Array[]> {
    const rows = batch.length
    const seq = Math.max(...batch.map((ids) => ids.length))
    const ids = new BigInt64Array(rows * seq).fill(BigInt(this.manifest.pad_token_id))
    const mask = new BigInt64Array(rows * seq)
    // Positions count from 0 at the first real token; padding gets 1, as Hugging Face does.
    const positions = new BigInt64Array(rows * seq).fill(1n)
    batch.forEach((row, b) => {
      const offset = this.manifest.padding_side === 'left' ? seq - row.length : 0
      row.forEach((id, t) => {
        const at = b * seq + offset + t
        ids[at] = BigInt(id)
        mask[at] = 1n
        positions[at] = BigInt(t)
      })
    })
    const graph = this.manifest.graph
    const feeds: Record<string, ort.Tensor> = {
      [graph.input_ids]: new ort.Tensor('int64', ids, [rows, seq]),
    }
    if (graph.attention_mask)
      feeds[graph.attention_mask] = new ort.Tensor('int64', mask, [rows, seq])
    if (graph.position_ids)
      feeds[graph.position_ids] = new ort.Tensor('int64', positions, [rows, seq])
    if (graph.token_type_ids) {
      feeds[graph.token_type_ids] = new ort.Tensor('int64', new BigInt64Array(rows * seq), [
        rows,
        seq,
      ])
    }
    for (const [name, { kvHeads, headDim }] of this.pastShapes) {
      feeds[name] = new ort.Tensor('float32', new Float32Array(0), [rows, kvHeads, 0, headDim])
    }
    const results = await this.session.run(feeds, [graph.output])
    const output = results[graph.output]
    const width = Number(output.dims.at(-1))
    const vectors = poolBatch(
      this.manifest.pooling,
      output.data as Float32Array,
      mask,
      rows,
      seq,
      width,
    )
    output.dispose()
    return vectors.map(l2Normalize)
  }
}
