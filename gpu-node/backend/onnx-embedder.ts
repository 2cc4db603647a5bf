/**
 * Runs one padded batch through an onnxruntime session and returns one
 * unit-length, full-dimension vector per row. Everything that depends on the
 * model's export (padding side, position ids, token types, empty KV cache)
 * comes from the manifest and the graph's own input list, so both Qwen3
 * export variants (with and without `past_key_values.*`) and BERT-style
 * encoders load with nothing but their manifest. float16 graphs (fp16 and
 * q4f16 exports) get their empty cache in float16 and have their output
 * widened to float32 before pooling and normalization.
 *
 * `session.run` in onnxruntime-node blocks the thread it is called on; the
 * node calls this inside a session worker thread (session-worker.ts).
 */
import * as ort from 'onnxruntime-node'
import type { ModelManifest } from '../model/manifest.ts'
import { padBatch, type PaddedBatch } from './padded-batch.ts'
import type { EmbeddedBatch } from './backend.ts'
import { normalizeInPlace, poolBatch } from './pooling.ts'

const PAST_PREFIX = 'past_key_values.'

export class OnnxEmbedder {
  private readonly pastShapes: Map<
    string,
    { kvHeads: number; headDim: number; type: 'float32' | 'float16' }
  >

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
      const type = meta.isTensor ? meta.type : undefined
      if (type !== 'float32' && type !== 'float16')
        throw new Error(`${meta.name} is ${type}; an empty cache is fed as float32 or float16`)
      this.pastShapes.set(meta.name, { kvHeads, headDim, type })
    }
    const graph = manifest.graph
    const fed = [graph.input_ids, graph.attention_mask, graph.position_ids, graph.token_type_ids]
    for (const name of fed) {
      if (name && !session.inputNames.includes(name))
        throw new Error(`the graph has no input '${name}' (named in the manifest's graph)`)
    }
    for (const name of session.inputNames) {
      if (!fed.includes(name) && !this.pastShapes.has(name))
        throw new Error(`the graph takes '${name}', which the manifest's graph does not name`)
    }
    if (!session.outputNames.includes(graph.output))
      throw new Error(`the graph has no output '${graph.output}'`)
  }

  get dimensions(): number {
    return this.manifest.dimensions
  }

  /** Pads `batch` itself; the node pads ahead of time and calls `run`. */
  embed(batch: ArrayLike<number>[]): Promise<EmbeddedBatch> {
    return this.run(padBatch(batch, this.manifest))
  }

  async run(batch: PaddedBatch): Promise<EmbeddedBatch> {
    const { rows, seq } = batch
    const graph = this.manifest.graph
    const int64 = (data: BigInt64Array) => new ort.Tensor('int64', data, [rows, seq])
    const feeds: Record<string, ort.Tensor> = { [graph.input_ids]: int64(batch.inputIds) }
    if (graph.attention_mask) feeds[graph.attention_mask] = int64(batch.attentionMask)
    if (graph.position_ids && batch.positionIds)
      feeds[graph.position_ids] = int64(batch.positionIds)
    if (graph.token_type_ids && batch.tokenTypeIds)
      feeds[graph.token_type_ids] = int64(batch.tokenTypeIds)
    for (const [name, { kvHeads, headDim, type }] of this.pastShapes) {
      const empty = type === 'float16' ? new Uint16Array(0) : new Float32Array(0)
      feeds[name] = new ort.Tensor(type, empty, [rows, kvHeads, 0, headDim])
    }
    const results = await this.session.run(feeds, [graph.output])
    const output = results[graph.output]
    const width = Number(output.dims.at(-1))
    // float16 data is a Uint16Array of bits on Node 20, a Float16Array where one exists: read
    // the bits either way, so every Node widens and normalizes in float32 alike.
    const data = output.data as Float32Array | Uint16Array
    const hidden =
      output.type === 'float16'
        ? new Uint16Array(data.buffer, data.byteOffset, data.length)
        : (data as Float32Array)
    const vectors = poolBatch(this.manifest.pooling, hidden, batch.attentionMask, rows, seq, width)
    output.dispose()
    const norms = Float32Array.from(vectors, normalizeInPlace)
    return { vectors, norms }
  }
}
