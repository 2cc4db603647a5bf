/**
 * Writes an ONNX file for a shape, seed and graph variant (build-graph.ts), either
 * self-contained (weights inline) or with the weights in `<file>_data` beside it (ONNX external
 * data), which a 0.6B- or 4B-shaped fp32 model needs: at ~2.4 GB it is past protobuf's 2 GB
 * message limit. float16 and 8-bit files are written inline, as the tiny model's are small.
 *
 * External weights are generated and written in 4 MB chunks, so memory stays small whatever the
 * model size. Each file is written under a temporary name and renamed, so an interrupted run
 * never leaves a file that looks complete.
 */
import { open, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import onnxProto from 'onnx-proto'
import type { onnx as Onnx } from 'onnx-proto'
import { float32ToFloat16 } from '../../gpu-node/backend/float16.ts'
import { buildModel, PLAIN_GRAPH, QUANT_BLOCK, type GraphOptions } from './build-graph.ts'
import type { Qwen3Shape } from './config.ts'
import { quantizeBlockwise8 } from './quantize.ts'
import {
  elementCount,
  fillWeights,
  generateWeights,
  weightSpecs,
  type WeightSpec,
} from './weights.ts'

const { onnx } = onnxProto

export const MODEL_FILE = 'model.onnx'
export const DATA_FILE = 'model.onnx_data'

/** Offsets in the data file are page-aligned, as `onnx.save` does, so ORT can map tensors. */
const ALIGNMENT = 4096
const CHUNK_ELEMENTS = 1 << 20

export interface WriteModelOptions {
  shape: Qwen3Shape
  seed: number
  /** Default: the plain float32 graph without past_key_values. */
  graph?: Partial<GraphOptions>
  /** Put weights in `<file>_data` instead of inside the ONNX file (float32 only). */
  externalData: boolean
  /** Default `model.onnx`. */
  fileName?: string
}

/** Writes the model into `dir`; returns the names of the files written. */
export async function writeModel(dir: string, options: WriteModelOptions): Promise<string[]> {
  const { shape, seed, externalData } = options
  const graph = { ...PLAIN_GRAPH, ...options.graph }
  const file = options.fileName ?? MODEL_FILE
  const dataFile = `${file}_data`
  if (externalData && (graph.floatType !== 'float32' || graph.quantized))
    throw new Error('only float32 weights are written as external data')
  const weights = externalData
    ? await writeExternalWeights(dir, dataFile, shape, seed)
    : weightSpecs(shape).flatMap((spec) => inlineWeights(spec, seed, graph))
  const bytes = onnx.ModelProto.encode(buildModel(shape, graph, weights)).finish()
  await writeFile(join(dir, `${file}.tmp`), bytes)
  await rename(join(dir, `${file}.tmp`), join(dir, file))
  if (!externalData) await rm(join(dir, dataFile), { force: true })
  return externalData ? [file, dataFile] : [file]
}

const { FLOAT, FLOAT16, UINT8 } = onnx.TensorProto.DataType
const bytesOf = (data: ArrayBufferView) =>
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength)

/** One weight as the variant stores it: float32, float16, or 8-bit blocks with their scales. */
function inlineWeights(spec: WeightSpec, seed: number, graph: GraphOptions): Onnx.ITensorProto[] {
  const data = generateWeights(spec, seed)
  const isLinear = spec.dims.length === 2 && spec.name !== 'model.embed_tokens.weight'
  if (graph.quantized && isLinear) {
    const [K, N] = spec.dims as [number, number]
    const { q8, scales, dims } = quantizeBlockwise8(data, K, N, QUANT_BLOCK)
    return [
      { name: `${spec.name}.q8`, dataType: UINT8, dims: dims.q8, rawData: q8 },
      { name: `${spec.name}.scales`, dataType: FLOAT, dims: dims.scales, rawData: bytesOf(scales) },
    ]
  }
  if (graph.floatType === 'float16') {
    return [
      {
        name: spec.name,
        dataType: FLOAT16,
        dims: spec.dims,
        rawData: bytesOf(float32ToFloat16(data)),
      },
    ]
  }
  return [{ name: spec.name, dataType: FLOAT, dims: spec.dims, rawData: bytesOf(data) }]
}

/** Streams every weight into the data file; returns tensors that point into it. */
async function writeExternalWeights(
  dir: string,
  dataFile: string,
  shape: Qwen3Shape,
  seed: number,
): Promise<Onnx.ITensorProto[]> {
  const tmp = join(dir, `${dataFile}.tmp`)
  const file = await open(tmp, 'w')
  const chunk = new Float32Array(CHUNK_ELEMENTS)
  const padding = new Uint8Array(ALIGNMENT)
  const tensors: Onnx.ITensorProto[] = []
  let offset = 0
  try {
    for (const spec of weightSpecs(shape)) {
      const gap = (ALIGNMENT - (offset % ALIGNMENT)) % ALIGNMENT
      if (gap > 0) await file.write(padding, 0, gap)
      offset += gap
      const count = elementCount(spec.dims)
      for (let start = 0; start < count; start += CHUNK_ELEMENTS) {
        const part = chunk.subarray(0, Math.min(CHUNK_ELEMENTS, count - start))
        fillWeights(spec, seed, part, start)
        await file.write(new Uint8Array(part.buffer, 0, part.byteLength))
      }
      tensors.push({
        name: spec.name,
        dataType: onnx.TensorProto.DataType.FLOAT,
        dims: spec.dims,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: dataFile },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(count * 4) },
        ],
      })
      offset += count * 4
    }
  } finally {
    await file.close()
  }
  await rename(tmp, join(dir, dataFile))
  return tensors
}
