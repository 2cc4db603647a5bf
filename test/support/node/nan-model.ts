/**
 * A model folder whose graph emits NaN for some inputs, to test the vector
 * guard: each token's hidden state is sqrt(id − 100) × [1, 2, 3, 4], mean
 * pooled. A token below 100 gives NaN, and an input of only token 100 gives an
 * all-zero vector; any other input gives a finite one.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import onnxProto from 'onnx-proto'
import { tensorInfo } from '../../../scripts/tiny-qwen3/build-graph.ts'
import { qwen3TokenizerPath } from '../../../scripts/tiny-qwen3/tokenizer.ts'
import type { ModelManifest } from '../../../gpu-node/model/manifest.ts'

const { onnx } = onnxProto
const { FLOAT, INT64 } = onnx.TensorProto.DataType

export const NAN_BELOW = 100
export const ZERO_AT = 100

export async function nanModelFolder() {
  const dir = await mkdtemp(path.join(tmpdir(), 'nan-model-'))
  const floats = (name: string, values: number[], dims: number[]) => ({
    name,
    dataType: FLOAT,
    dims,
    rawData: new Uint8Array(Float32Array.from(values).buffer),
  })
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'nan-model',
      node: [
        {
          opType: 'Cast',
          input: ['input_ids'],
          output: ['ids_f'],
          attribute: [{ name: 'to', type: 2, i: FLOAT }],
        },
        { opType: 'Sub', input: ['ids_f', 'offset'], output: ['shifted'] },
        { opType: 'Sqrt', input: ['shifted'], output: ['root'] },
        { opType: 'Unsqueeze', input: ['root', 'last_axis'], output: ['root3'] },
        { opType: 'Mul', input: ['root3', 'pattern'], output: ['last_hidden_state'] },
      ],
      initializer: [
        floats('offset', [NAN_BELOW], []),
        floats('pattern', [1, 2, 3, 4], [4]),
        {
          name: 'last_axis',
          dataType: INT64,
          dims: [1],
          rawData: new Uint8Array(BigInt64Array.of(-1n).buffer),
        },
      ],
      input: [
        tensorInfo('input_ids', INT64, ['batch', 'sequence']),
        tensorInfo('attention_mask', INT64, ['batch', 'sequence']),
      ],
      output: [tensorInfo('last_hidden_state', FLOAT, ['batch', 'sequence', 4])],
    },
  })
  await writeFile(path.join(dir, 'model.onnx'), onnx.ModelProto.encode(model).finish())
  await copyFile(qwen3TokenizerPath(), path.join(dir, 'tokenizer.json'))
  const manifest: ModelManifest = {
    id: 'nan-model',
    revision: 'nan-1',
    dimensions: 4,
    pooling: 'mean',
    padding_side: 'right',
    eos_token_id: null,
    pad_token_id: 500,
    max_input_tokens: 64,
    matryoshka: false,
    instruction_format: 'none',
    graph: {
      input_ids: 'input_ids',
      attention_mask: 'attention_mask',
      position_ids: null,
      token_type_ids: null,
      output: 'last_hidden_state',
    },
  }
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}
