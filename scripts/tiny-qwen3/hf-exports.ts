/**
 * Generated Qwen3-Embedding folders laid out exactly as the published exports users download,
 * with no manifest.json: the node must serve each from its own files, as it would the real one.
 *
 *   npx tsx scripts/tiny-qwen3/hf-exports.ts [--layout NAME|all] [modelsDir]
 *
 * | layout                  | like                                   | tokenizer appends EOS | ONNX files |
 * |-------------------------|----------------------------------------|-----|------------|
 * | `onnx-community`        | onnx-community/Qwen3-Embedding-0.6B-ONNX | yes | onnx/model.onnx (+past), model_fp16.onnx (+past, float16), model_quantized.onnx (8-bit MatMulNBits) |
 * | `qdrant`                | Qdrant/Qwen3-Embedding-0.6B-onnx       | no (an older copy) | onnx/model.onnx + model.onnx_data, model_quantized.onnx; input_ids and attention_mask only |
 * | `sentence-transformers` | `optimum-cli export onnx` of Qwen/Qwen3-Embedding-0.6B | no | model.onnx, with modules.json, 1_Pooling, config_sentence_transformers.json, sentence_bert_config.json |
 * | `fused`                 | an export with onnxruntime's fused attention | yes | onnx/model.onnx with GroupQueryAttention |
 * | `4b-slice`              | Qdrant's layout, Qwen3-Embedding-4B's widths and config | yes | onnx/model.onnx + model.onnx_data (2.4 GB) |
 *
 * Every tiny layout has the same seeded weights as `qwen3-tiny`, so their vectors can be
 * compared with the manifest folder's and with each other.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { GraphOptions } from './build-graph.ts'
import { DEFAULT_SEED, PRESETS, type PresetName } from './config.ts'
import { END_OF_TEXT_ID, writeHfFiles, type HfFilesOptions } from './hf-layout.ts'
import { GENERATOR_VERSION } from './manifest.ts'
import { qwen3TokenizerPath } from './tokenizer.ts'
import { writeModel } from './write-model.ts'

interface OnnxFile {
  /** Relative to the folder, e.g. `onnx/model_fp16.onnx`. */
  path: string
  graph: Partial<GraphOptions>
  externalData: boolean
}

interface ExportLayout {
  preset: PresetName
  tokenizer: HfFilesOptions['tokenizer']
  /** config.json's eos_token_id: 151643 as in the 0.6B, 151645 (<|im_end|>) as in the 4B. */
  configEosTokenId: number
  /** config.json's max_position_embeddings. */
  maxPositions: number
  sentenceTransformers: HfFilesOptions['sentenceTransformers']
  transformersJs?: object
  files: OnnxFile[]
}

const IM_END_ID = 151645

export const EXPORT_LAYOUTS = {
  'onnx-community': {
    preset: 'tiny',
    tokenizer: 'appends-eos',
    configEosTokenId: END_OF_TEXT_ID,
    maxPositions: 32768,
    sentenceTransformers: null,
    transformersJs: { kv_cache_dtype: { fp16: 'float16' } },
    files: [
      { path: 'onnx/model.onnx', graph: { withPast: true }, externalData: false },
      {
        path: 'onnx/model_fp16.onnx',
        graph: { withPast: true, floatType: 'float16' },
        externalData: false,
      },
      { path: 'onnx/model_quantized.onnx', graph: { quantized: true }, externalData: false },
    ],
  },
  qdrant: {
    preset: 'tiny',
    tokenizer: 'plain',
    configEosTokenId: END_OF_TEXT_ID,
    maxPositions: 32768,
    sentenceTransformers: null,
    files: [
      { path: 'onnx/model.onnx', graph: { positionsFromMask: true }, externalData: true },
      {
        path: 'onnx/model_quantized.onnx',
        graph: { quantized: true, positionsFromMask: true },
        externalData: false,
      },
    ],
  },
  'sentence-transformers': {
    preset: 'tiny',
    tokenizer: 'plain',
    configEosTokenId: END_OF_TEXT_ID,
    maxPositions: 32768,
    sentenceTransformers: { maxSeqLength: 8192 },
    files: [{ path: 'model.onnx', graph: {}, externalData: false }],
  },
  fused: {
    preset: 'tiny',
    tokenizer: 'appends-eos',
    configEosTokenId: END_OF_TEXT_ID,
    maxPositions: 32768,
    sentenceTransformers: null,
    files: [{ path: 'onnx/model.onnx', graph: { attention: 'fused' }, externalData: false }],
  },
  '4b-slice': {
    preset: '4b-slice',
    tokenizer: 'appends-eos',
    configEosTokenId: IM_END_ID,
    maxPositions: PRESETS['4b-slice'].maxInputTokens,
    sentenceTransformers: { maxSeqLength: null },
    files: [{ path: 'onnx/model.onnx', graph: {}, externalData: true }],
  },
} satisfies Record<string, ExportLayout>

export type ExportLayoutName = keyof typeof EXPORT_LAYOUTS

/** The folder name: `qwen3-tiny-onnx-community`, `qwen3-4b-slice`. */
export function exportFolderName(layout: ExportLayoutName): string {
  return layout === '4b-slice' ? 'qwen3-4b-slice' : `qwen3-tiny-${layout}`
}

/** Written last; its revision says the folder is complete and current. */
const MARKER = '.tiny-qwen3.json'

/**
 * Makes sure `<modelsDir>/<folder>` holds the export; returns its path. Does nothing when the
 * folder was written by this generator version from the same seed and tokenizer.
 *
 * @example const dir = await ensureQwen3Export(os.tmpdir(), 'onnx-community')
 */
export async function ensureQwen3Export(
  modelsDir: string,
  layoutName: ExportLayoutName,
  options: { seed?: number; log?: (line: string) => void } = {},
): Promise<string> {
  const layout: ExportLayout = EXPORT_LAYOUTS[layoutName]
  const seed = options.seed ?? DEFAULT_SEED
  const log = options.log ?? console.log
  const name = exportFolderName(layoutName)
  const dir = join(modelsDir, name)
  const tokenizerPath = qwen3TokenizerPath()
  const revision = createHash('sha256')
    .update(JSON.stringify({ generator: GENERATOR_VERSION, layout, seed }))
    .update(await readFile(tokenizerPath))
    .digest('hex')
    .slice(0, 16)
  const marker = await readFile(join(dir, MARKER), 'utf8').catch(() => '')
  if (marker.includes(revision)) {
    log(`${name}: up to date (${revision})`)
    return dir
  }
  await rm(join(dir, MARKER), { force: true })
  const shape = { ...PRESETS[layout.preset], maxInputTokens: layout.maxPositions }
  await writeHfFiles(dir, {
    shape,
    tokenizer: layout.tokenizer,
    tokenizerPath,
    configEosTokenId: layout.configEosTokenId,
    sentenceTransformers: layout.sentenceTransformers,
    ...(layout.transformersJs ? { transformersJs: layout.transformersJs } : {}),
  })
  for (const file of layout.files) {
    const started = Date.now()
    const target = join(dir, dirname(file.path))
    await mkdir(target, { recursive: true })
    const fileName = file.path.split('/').at(-1)!
    await writeModel(target, {
      shape,
      seed,
      graph: file.graph,
      externalData: file.externalData,
      fileName,
    })
    log(`${name}: wrote ${file.path} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
  await writeFile(join(dir, MARKER), `${JSON.stringify({ revision, layout: layoutName, seed })}\n`)
  return dir
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { layout: { type: 'string', default: 'all' } },
    allowPositionals: true,
  })
  const names = Object.keys(EXPORT_LAYOUTS) as ExportLayoutName[]
  const chosen = values.layout === 'all' ? names.filter((n) => n !== '4b-slice') : [values.layout]
  for (const layout of chosen) {
    if (!names.includes(layout as ExportLayoutName))
      throw new Error(`unknown layout ${layout}: one of ${names.join(', ')}, or all`)
  }
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
  const modelsDir = resolve(positionals[0] ?? join(repoRoot, 'models'))
  for (const layout of chosen) {
    console.log(await ensureQwen3Export(modelsDir, layout as ExportLayoutName))
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
