/** Finds and reads the parts of a model folder. */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { ModelManifestSchema, type ModelManifest } from './manifest.ts'

export interface ModelFolder {
  dir: string
  manifest: ModelManifest
  onnxPath: string
  tokenizerJson: object
  /** tokenizer_config.json when the folder has one (special-token settings), else {}. */
  tokenizerConfig: object
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`)
  }
}

export async function readModelFolder(dir: string): Promise<ModelFolder> {
  const parsed = ModelManifestSchema.safeParse(await readJson(path.join(dir, 'manifest.json')))
  if (!parsed.success) throw new Error(`${dir}/manifest.json: ${parsed.error.message}`)
  // Hugging Face ONNX exports keep the graph under onnx/.
  const onnxPath = [path.join(dir, 'model.onnx'), path.join(dir, 'onnx', 'model.onnx')].find(
    existsSync,
  )
  if (!onnxPath) throw new Error(`${dir} has neither model.onnx nor onnx/model.onnx`)
  const configPath = path.join(dir, 'tokenizer_config.json')
  return {
    dir,
    manifest: parsed.data,
    onnxPath,
    tokenizerJson: (await readJson(path.join(dir, 'tokenizer.json'))) as object,
    tokenizerConfig: existsSync(configPath) ? ((await readJson(configPath)) as object) : {},
  }
}
