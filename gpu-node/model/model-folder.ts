/**
 * A model folder as it was downloaded: `huggingface-cli download` output
 * (also a hub cache snapshot whose files are symlinks into `blobs/`), an
 * onnx-community or Qdrant export, or one of the project's generated folders.
 * It needs a `tokenizer.json` and at least one ONNX file; everything else the
 * node must know is derived (derive-manifest.ts), and `manifest.json`, when
 * present, overrides what it names.
 *
 * `readModelFolder` finds the parts; `serveVariant` resolves one precision
 * variant into what the node serves, or refuses with every reason at once.
 */
import { createHash } from 'node:crypto'
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import path from 'node:path'
import { deriveManifest, type Derivation } from './derive-manifest.ts'
import { folderOrigin, type FolderOrigin } from './folder-origin.ts'
import { describeIssue, readHfFiles, type HfFiles } from './hf-files.ts'
import { ManifestOverrideSchema, type ManifestOverride, type ModelManifest } from './manifest.ts'
import { readGraphInfo, type GraphInfo } from './onnx-graph-info.ts'
import { chooseVariant, findVariantFiles, type ModelVariant } from './variants.ts'

export interface ModelFolder {
  /** The folder read: a cache entry's snapshot when given the entry. */
  dir: string
  origin: FolderOrigin
  /** Each precision variant's ONNX file. */
  variants: Map<ModelVariant, string>
  /** Null when missing, which `serveVariant` refuses. */
  tokenizerPath: string | null
  /** tokenizer_config.json (special-token settings) when the folder has one. */
  tokenizerConfigPath: string | null
  files: HfFiles
  override: ManifestOverride | null
  /** MODEL_ID, when set: the public id instead of the folder's name. */
  modelId: string | undefined
  /** Parsed on first use: only tokenization threads and tools need it. */
  readonly tokenizerJson: object
  /** tokenizer_config.json's content, else {}; parsed on first use. */
  readonly tokenizerConfig: object
}

/** What the node serves from one variant of a folder. */
export interface ServedModel {
  manifest: ModelManifest
  variant: ModelVariant
  onnxPath: string
  /** The float type the graph's output (and past_key_values, if any) use. */
  floatType: 'float32' | 'float16'
  graph: GraphInfo
}

/** The parsed tokenizer files, as `TextTokenizer` takes them. */
export interface TokenizerFiles {
  tokenizerJson: object
  tokenizerConfig: object
}

/** Bytes of the ONNX file the revision digest reads: its header, never its gigabytes. */
const DIGEST_HEAD_BYTES = 1 << 20

export class ModelFolderError extends Error {
  constructor(
    readonly dir: string,
    readonly refusals: string[],
  ) {
    super(`${dir} cannot be served:\n  - ${refusals.join('\n  - ')}`)
  }
}

export function readModelFolder(dir: string, options: { modelId?: string } = {}): ModelFolder {
  if (!existsSync(dir)) throw new ModelFolderError(dir, ['the folder does not exist'])
  const origin = folderOrigin(dir)
  const at = (name: string) => {
    const file = path.join(origin.dir, name)
    return existsSync(file) ? file : null
  }
  const tokenizerPath = at('tokenizer.json')
  const tokenizerConfigPath = at('tokenizer_config.json')
  let override: ManifestOverride | null = null
  const manifestPath = at('manifest.json')
  if (manifestPath) {
    const parsed = ManifestOverrideSchema.safeParse(readJson(manifestPath))
    if (!parsed.success) {
      throw new ModelFolderError(
        origin.dir,
        parsed.error.issues.map((issue) => `manifest.json ${describeIssue(issue)}`),
      )
    }
    override = parsed.data
  }
  let files: HfFiles
  try {
    files = readHfFiles(origin.dir)
  } catch (err) {
    throw new ModelFolderError(origin.dir, [(err as Error).message])
  }
  let tokenizer: TokenizerFiles | undefined
  const tokenizerFiles = () =>
    (tokenizer ??= readTokenizerFilesSync({ tokenizerPath, tokenizerConfigPath }))
  return {
    dir: origin.dir,
    origin,
    variants: findVariantFiles(origin.dir),
    tokenizerPath,
    tokenizerConfigPath,
    files,
    override,
    modelId: options.modelId,
    get tokenizerJson() {
      return tokenizerFiles().tokenizerJson
    },
    get tokenizerConfig() {
      return tokenizerFiles().tokenizerConfig
    },
  }
}

/** Derives the manifest of one variant, with the source of each value; refuses nothing itself. */
export function deriveVariant(
  folder: ModelFolder,
  variant: ModelVariant,
): Derivation & { onnxPath: string | null; graph: GraphInfo | null } {
  const refusals: string[] = []
  if (!folder.tokenizerPath)
    refusals.push('tokenizer.json: the folder has none, so text cannot be tokenized')
  const onnxPath = folder.variants.get(variant) ?? null
  if (!onnxPath) {
    refusals.push(`${variant}: the folder has no ONNX file for it`)
    return { manifest: null, fields: {}, refusals, onnxPath, graph: null }
  }
  const onnxFile = path.relative(folder.dir, onnxPath)
  let graph: GraphInfo
  try {
    graph = readGraphInfo(onnxPath)
  } catch (err) {
    refusals.push(`${onnxFile}: ${(err as Error).message}`)
    return { manifest: null, fields: {}, refusals, onnxPath, graph: null }
  }
  for (const data of graph.externalFiles) {
    if (!existsSync(path.join(path.dirname(onnxPath), data)))
      refusals.push(`${onnxFile} keeps its weights in ${data}, which is missing`)
  }
  const { origin } = folder
  // A manifest.json that changes how vectors are made must change the revision too.
  const overridden = folder.override
    ? `+m${createHash('sha256').update(JSON.stringify(folder.override)).digest('hex').slice(0, 8)}`
    : ''
  const hub = origin.commitOf(onnxFile)
  const revision = hub
    ? { value: `${hub.commit}${overridden}+${variant}`, source: hub.source }
    : {
        value: `sha256-${folderDigest(folder, onnxPath, graph).slice(0, 16)}+${variant}`,
        source: `a digest of the config files and of samples of ${onnxFile} and its weights`,
      }
  // Parsed here and dropped after: a node keeps its folder, and Qwen3's tokenizer.json held for
  // the process's life would cost the main thread ~100 MB it never uses (workers tokenize).
  const tokenizerJson = folder.tokenizerPath ? (readJson(folder.tokenizerPath) as object) : null
  const derivation = deriveManifest({
    files: folder.files,
    graph,
    onnxFile,
    override: folder.override,
    id: { value: origin.name, source: origin.nameSource },
    modelId: folder.modelId,
    revision,
    tokenId: tokenLookup(folder, tokenizerJson),
    appendedToken: tokenizerJson ? appendedToken(tokenizerJson) : null,
  })
  // A revision from manifest.json still names the variant: fp16 and fp32 vectors differ.
  if (derivation.manifest && folder.override?.revision !== undefined)
    derivation.manifest.revision = `${folder.override.revision}+${variant}`
  derivation.refusals.unshift(...refusals)
  if (refusals.length > 0) derivation.manifest = null
  return { ...derivation, onnxPath, graph }
}

/** The variant as the node serves it; throws ModelFolderError naming every refusal. */
export function serveVariant(folder: ModelFolder, variant: ModelVariant): ServedModel {
  const derived = deriveVariant(folder, variant)
  if (!derived.manifest || !derived.graph || !derived.onnxPath)
    throw new ModelFolderError(folder.dir, derived.refusals)
  const output = derived.graph.outputs.find((o) => o.name === derived.manifest!.graph.output)!
  return {
    manifest: derived.manifest,
    variant,
    onnxPath: derived.onnxPath,
    floatType: output.type === 'float16' ? 'float16' : 'float32',
    graph: derived.graph,
  }
}

export type OpenedModel = ServedModel & { folder: ModelFolder }

/**
 * The variant a node on `device` would serve from `dir` (MODEL_VARIANT's rules), for tools and
 * tests that need the manifest and ONNX file without starting a node.
 *
 * @example const { manifest, onnxPath, folder } = openModel('models/qwen3-tiny-hf')
 */
export function openModel(
  dir: string,
  options: { variant?: ModelVariant; device?: 'gpu' | 'cpu'; modelId?: string } = {},
): OpenedModel {
  const folder = readModelFolder(dir, { modelId: options.modelId })
  const { variant } = chooseVariant(folder.variants, options.device ?? 'cpu', options.variant)
  return { ...serveVariant(folder, variant), folder }
}

/** Reads the tokenizer files, e.g. in a tokenization worker thread. */
export function readTokenizerFilesSync(
  folder: Pick<ModelFolder, 'tokenizerPath' | 'tokenizerConfigPath'>,
): TokenizerFiles {
  if (!folder.tokenizerPath) throw new Error('the model folder has no tokenizer.json')
  return {
    tokenizerJson: readJson(folder.tokenizerPath) as object,
    tokenizerConfig: folder.tokenizerConfigPath
      ? (readJson(folder.tokenizerConfigPath) as object)
      : {},
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`)
  }
}

/**
 * Special tokens are looked up in tokenizer_config.json's added_tokens_decoder first (small),
 * then in tokenizer.json.
 */
function tokenLookup(
  folder: ModelFolder,
  tokenizerJson: object | null,
): (token: string) => number | undefined {
  return (token) => {
    const decoder = folder.files.tokenizerConfig?.value.added_tokens_decoder ?? {}
    for (const [id, entry] of Object.entries(decoder))
      if (entry.content === token) return Number(id)
    if (!tokenizerJson) return undefined
    const json = tokenizerJson as {
      added_tokens?: { id: number; content: string }[]
      model?: { vocab?: Record<string, number> | [string, number][] }
    }
    const added = json.added_tokens?.find((t) => t.content === token)
    if (added) return added.id
    const vocab = json.model?.vocab
    if (vocab && !Array.isArray(vocab) && typeof vocab[token] === 'number') return vocab[token]
    return undefined
  }
}

/**
 * The special token a tokenizer.json's post-processor (TemplateProcessing, alone or in a
 * Sequence) puts at the end of a single input: `<|endoftext|>` in the current Qwen3-Embedding
 * tokenizer, `[SEP]` in BERT's.
 */
export function appendedToken(tokenizerJson: object): { token: string; id: number } | null {
  type Piece = { SpecialToken?: { id: string } }
  type Processor = {
    type?: string
    processors?: Processor[]
    single?: Piece[]
    special_tokens?: Record<string, { ids: number[] }>
  }
  const root = (tokenizerJson as { post_processor?: Processor | null }).post_processor
  const processors = root?.type === 'Sequence' ? (root.processors ?? []) : root ? [root] : []
  const template = processors.find((p) => p.type === 'TemplateProcessing')
  const token = template?.single?.at(-1)?.SpecialToken?.id
  const id = token ? template?.special_tokens?.[token]?.ids.at(-1) : undefined
  return token && id !== undefined ? { token, id } : null
}

/**
 * sha256 over the config files and samples of the weights: the ONNX file's first MiB and, for it
 * and each external data file, its size and 16 slices of 64 KiB spread over it. About 2 MiB read
 * per file whatever its size, yet any re-export or fine-tune changes the samples.
 */
function folderDigest(folder: ModelFolder, onnxPath: string, graph: GraphInfo): string {
  const hash = createHash('sha256')
  const manifest = path.join(folder.dir, 'manifest.json')
  const configs = [
    ...folder.files.files,
    folder.tokenizerPath,
    folder.tokenizerConfigPath,
    existsSync(manifest) ? manifest : null,
  ].filter((file): file is string => file !== null)
  for (const file of configs.sort()) {
    hash.update(path.relative(folder.dir, file))
    hash.update(readFileSync(file))
  }
  const weights = [
    onnxPath,
    ...graph.externalFiles
      .map((data) => path.join(path.dirname(onnxPath), data))
      .filter((file) => existsSync(file)),
  ]
  for (const file of weights) sampleFile(hash, file, file === onnxPath ? DIGEST_HEAD_BYTES : 0)
  return hash.digest('hex')
}

const SAMPLES = 16
const SAMPLE_BYTES = 64 * 1024

function sampleFile(hash: ReturnType<typeof createHash>, file: string, headBytes: number): void {
  const size = statSync(file).size
  hash.update(`${path.basename(file)}:${size}`)
  const fd = openSync(file, 'r')
  try {
    const read = (offset: number, length: number) => {
      const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)))
      readSync(fd, buffer, 0, buffer.length, offset)
      hash.update(buffer)
    }
    read(0, headBytes)
    for (let i = 0; i < SAMPLES; i++) read(Math.floor((size * i) / SAMPLES), SAMPLE_BYTES)
  } finally {
    closeSync(fd)
  }
}
