/** Finds and reads the parts of a model folder. */
import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { ModelManifestSchema, type ModelManifest } from './manifest.ts'

export interface ModelFolder {
  dir: string
  manifest: ModelManifest
  onnxPath: string
  tokenizerPath: string
  /** tokenizer_config.json (special-token settings) when the folder has one. */
  tokenizerConfigPath: string | null
  /** Parsed on first use: the node's main thread never needs it (its workers tokenize). */
  readonly tokenizerJson: object
  /** tokenizer_config.json's content, else {}; parsed on first use. */
  readonly tokenizerConfig: object
}

/** The parsed tokenizer files, as `TextTokenizer` takes them. */
export interface TokenizerFiles {
  tokenizerJson: object
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
  const tokenizerPath = path.join(dir, 'tokenizer.json')
  if (!existsSync(tokenizerPath)) throw new Error(`${dir} has no tokenizer.json`)
  const configPath = path.join(dir, 'tokenizer_config.json')
  const tokenizerConfigPath = existsSync(configPath) ? configPath : null
  let files: TokenizerFiles | undefined
  const tokenizerFiles = () =>
    (files ??= readTokenizerFilesSync({ tokenizerPath, tokenizerConfigPath }))
  return {
    dir,
    manifest: parsed.data,
    onnxPath,
    tokenizerPath,
    tokenizerConfigPath,
    get tokenizerJson() {
      return tokenizerFiles().tokenizerJson
    },
    get tokenizerConfig() {
      return tokenizerFiles().tokenizerConfig
    },
  }
}

/** Reads the tokenizer files, e.g. in a tokenization worker thread. */
export function readTokenizerFilesSync(
  folder: Pick<ModelFolder, 'tokenizerPath' | 'tokenizerConfigPath'>,
): TokenizerFiles {
  const read = (file: string) => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as object
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as Error).message}`)
    }
  }
  return {
    tokenizerJson: read(folder.tokenizerPath),
    tokenizerConfig: folder.tokenizerConfigPath ? read(folder.tokenizerConfigPath) : {},
  }
}
