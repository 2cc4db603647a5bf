/**
 * Reads a TF.js graph model (`model.json` plus its binary weight shards) into plain typed arrays,
 * keyed by tensor name, so the converter can work without loading TensorFlow.js itself.
 *
 * Only what the Universal Sentence Encoder lite graph uses is supported: unquantized float32 and
 * int32 weights in one or more weight groups. Anything else throws rather than converting wrongly.
 */
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

export interface TfjsTensor {
  name: string
  dtype: 'float32' | 'int32'
  shape: number[]
  data: Float32Array | Int32Array
}

export interface TfjsNode {
  name: string
  op: string
  input: string[]
}

export interface TfjsGraph {
  nodes: TfjsNode[]
  weights: Map<string, TfjsTensor>
}

interface ModelJson {
  modelTopology: { node: Array<{ name: string; op: string; input?: string[] }> }
  weightsManifest: Array<{
    paths: string[]
    weights: Array<{ name: string; dtype: string; shape: number[]; quantization?: unknown }>
  }>
}

/** Loads `model.json` and every shard it lists (shards are resolved next to `model.json`). */
export async function readTfjsGraph(modelJsonPath: string): Promise<TfjsGraph> {
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as ModelJson
  const weights = new Map<string, TfjsTensor>()
  for (const group of json.weightsManifest) {
    // A group's weights are stored back to back across its shards, as one byte stream.
    const shards = await Promise.all(
      group.paths.map((p) => readFile(join(dirname(modelJsonPath), p))),
    )
    const bytes = Buffer.concat(shards)
    let offset = 0
    for (const spec of group.weights) {
      if (spec.quantization !== undefined)
        throw new Error(`quantized weight not supported: ${spec.name}`)
      if (spec.dtype !== 'float32' && spec.dtype !== 'int32') {
        throw new Error(`weight dtype ${spec.dtype} not supported: ${spec.name}`)
      }
      const count = spec.shape.reduce((a, b) => a * b, 1)
      // Copy into a fresh, aligned buffer: shard offsets are not guaranteed to be 4-byte aligned.
      const slice = new Uint8Array(bytes.subarray(offset, offset + count * 4))
      const data =
        spec.dtype === 'float32' ? new Float32Array(slice.buffer) : new Int32Array(slice.buffer)
      weights.set(spec.name, { name: spec.name, dtype: spec.dtype, shape: spec.shape, data })
      offset += count * 4
    }
    if (offset !== bytes.length) {
      throw new Error(`weight shards hold ${bytes.length} bytes, manifest describes ${offset}`)
    }
  }
  const nodes = json.modelTopology.node.map((n) => ({
    name: n.name,
    op: n.op,
    input: n.input ?? [],
  }))
  return { nodes, weights }
}
