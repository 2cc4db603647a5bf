/**
 * A Hugging Face-style folder over one of our model folders, the layout
 * @huggingface/transformers loads offline: `config.json`, `tokenizer.json`,
 * `tokenizer_config.json`, `onnx/model.onnx` (+ `onnx/model.onnx_data`). The ONNX files are
 * symlinks to the very same model; nothing is converted.
 *
 * The tokenizer differs in one way from ours, because our folders leave EOS to the manifest
 * while a downloaded Qwen3-Embedding export appends `<|endoftext|>` in its tokenizer: the copy
 * gets that post-processor, so transformers.js sees the same ids as the node.
 */
import { Tokenizer } from '@huggingface/tokenizers'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { openModel } from '../../../gpu-node/model/model-folder.ts'
import { APPEND_END_OF_TEXT, END_OF_TEXT_ID } from '../../tiny-qwen3/hf-layout.ts'

export interface HfFolder {
  dir: string
  /** The feature-extraction pipeline's `pooling` option that matches the manifest. */
  pooling: 'none' | 'mean' | 'cls' | 'last_token'
  remove: () => Promise<void>
}

const PIPELINE_POOLING = {
  in_graph: 'none',
  mean: 'mean',
  cls: 'cls',
  last_token: 'last_token',
} as const

/** @param config the `config.json` to write (`model_type` and the architecture's sizes). */
export async function buildHfFolder(modelDir: string, config: object): Promise<HfFolder> {
  // Symlink targets must be absolute: the links live in a temp folder.
  const { folder, manifest, onnxPath } = openModel(path.resolve(modelDir))
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-hf-model-'))
  await mkdir(path.join(dir, 'onnx'))
  await symlink(onnxPath, path.join(dir, 'onnx', 'model.onnx'))
  const dataPath = `${onnxPath}_data`
  const externalData = existsSync(dataPath)
  if (externalData) await symlink(dataPath, path.join(dir, 'onnx', 'model.onnx_data'))

  const tokenizer = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig)
  const eos = manifest.eos_token_id === null ? null : tokenizer.id_to_token(manifest.eos_token_id)
  const tokenizerJson =
    eos === null || eos === undefined
      ? folder.tokenizerJson
      : { ...folder.tokenizerJson, post_processor: appendingPostProcessor(manifest.eos_token_id!) }
  await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson))
  await writeFile(
    path.join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      ...folder.tokenizerConfig,
      padding_side: manifest.padding_side,
      model_max_length: manifest.max_input_tokens,
      pad_token: tokenizer.id_to_token(manifest.pad_token_id),
      ...(eos ? { eos_token: eos } : {}),
    }),
  )
  await writeFile(
    path.join(dir, 'config.json'),
    JSON.stringify({
      ...config,
      'transformers.js_config': { use_external_data_format: externalData },
    }),
  )
  return {
    dir,
    pooling: PIPELINE_POOLING[manifest.pooling],
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}

/** Qwen3-Embedding's own post-processor; the benchmark serves no other model that has an EOS. */
function appendingPostProcessor(eos: number): object {
  if (eos !== END_OF_TEXT_ID) throw new Error(`no known post-processor appends token ${eos}`)
  return APPEND_END_OF_TEXT
}
