/**
 * Writes `model.onnx` for a shape and seed, either self-contained (weights inline) or with the
 * weights in `model.onnx_data` beside it (ONNX external data), which a 0.6B-shaped fp32 model
 * needs: at ~2.4 GB it is past protobuf's 2 GB message limit.
 *
 * External weights are generated and written in 4 MB chunks, so memory stays small whatever the
 * model size. Each file is written under a temporary name and renamed, so an interrupted run
 * never leaves a file that looks complete.
 */
import { open, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import onnxProto from 'onnx-proto'
import type { onnx as Onnx } from 'onnx-proto'
import { buildModel } from './build-graph.ts'
import type { Qwen3Shape } from './config.ts'
import { elementCount, fillWeights, generateWeights, weightSpecs } from './weights.ts'

const { onnx } = onnxProto

export const MODEL_FILE = 'model.onnx'
export const DATA_FILE = 'model.onnx_data'

/** Offsets in the data file are page-aligned, as `onnx.save` does, so ORT can map tensors. */
const ALIGNMENT = 4096
const CHUNK_ELEMENTS = 1 << 20

export interface WriteModelOptions {
  shape: Qwen3Shape
  seed: number
  withPast: boolean
  /** Put weights in `model.onnx_data` instead of inside `model.onnx`. */
  externalData: boolean
}

/** Writes the model into `dir`; returns the names of the files written. */
export async function writeModel(dir: string, options: WriteModelOptions): Promise<string[]> {
  const { shape, seed, withPast, externalData } = options
  const weights = externalData
    ? await writeExternalWeights(dir, shape, seed)
    : weightSpecs(shape).map((spec): Onnx.ITensorProto => {
        const data = generateWeights(spec, seed)
        return {
          name: spec.name,
          dataType: onnx.TensorProto.DataType.FLOAT,
          dims: spec.dims,
          rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        }
      })
  const bytes = onnx.ModelProto.encode(buildModel(shape, withPast, weights)).finish()
  await writeFile(join(dir, `${MODEL_FILE}.tmp`), bytes)
  await rename(join(dir, `${MODEL_FILE}.tmp`), join(dir, MODEL_FILE))
  if (!externalData) await rm(join(dir, DATA_FILE), { force: true })
  return externalData ? [MODEL_FILE, DATA_FILE] : [MODEL_FILE]
}

/** Streams every weight into the data file; returns tensors that point into it. */
async function writeExternalWeights(
  dir: string,
  shape: Qwen3Shape,
  seed: number,
): Promise<Onnx.ITensorProto[]> {
  const tmp = join(dir, `${DATA_FILE}.tmp`)
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
          { key: 'location', value: DATA_FILE },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(count * 4) },
        ],
      })
      offset += count * 4
    }
  } finally {
    await file.close()
  }
  await rename(tmp, join(dir, DATA_FILE))
  return tensors
}
