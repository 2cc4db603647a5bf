/**
 * Generates a BERT-style embedding model folder with seeded random weights:
 * `model.onnx` (input_ids, attention_mask, token_type_ids → last_hidden_state),
 * a WordPiece `tokenizer.json` built offline, and a `manifest.json` with
 * right padding and `mean` or `cls` pooling. It is how the node's support for
 * encoder models (the other family the manifest describes) is tested without
 * downloading one.
 *
 *   npx tsx scripts/tiny-bert/generate.ts [--pooling mean|cls] [modelsDir]
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { type ModelManifest, ModelManifestSchema } from '../../gpu-node/model/manifest.ts'
import { buildBertModel } from './build-graph.ts'
import { DEFAULT_SEED, tinyBertShape, type BertShape } from './config.ts'
import { buildTokenizerJson, PAD_ID, wordPieceVocab } from './tokenizer.ts'

/** Bump when the graph, weights or tokenizer change for the same seed. */
const GENERATOR_VERSION = 1

export type BertPooling = 'mean' | 'cls'

export function bertManifest(
  id: string,
  revision: string,
  shape: BertShape,
  pooling: BertPooling,
): ModelManifest {
  return ModelManifestSchema.parse({
    id,
    revision,
    dimensions: shape.hiddenSize,
    pooling,
    padding_side: 'right',
    eos_token_id: null,
    pad_token_id: PAD_ID,
    max_input_tokens: shape.maxPositions,
    matryoshka: false,
    instruction_format: 'none',
    graph: {
      input_ids: 'input_ids',
      attention_mask: 'attention_mask',
      position_ids: null,
      token_type_ids: 'token_type_ids',
      output: 'last_hidden_state',
    },
  })
}

/**
 * Makes sure `<modelsDir>/bert-tiny-<pooling>` holds the generated model; returns its path.
 * Does nothing when the folder's manifest already has the same revision.
 */
export async function ensureTinyBert(
  modelsDir: string,
  options: { pooling?: BertPooling; seed?: number } = {},
): Promise<string> {
  const pooling = options.pooling ?? 'mean'
  const seed = options.seed ?? DEFAULT_SEED
  const id = `bert-tiny-${pooling}`
  const dir = join(modelsDir, id)
  const tokenizerJson = buildTokenizerJson(wordPieceVocab())
  const shape = tinyBertShape(wordPieceVocab().length)
  const revision = `seed${seed}-${createHash('sha256')
    .update(JSON.stringify({ generator: GENERATOR_VERSION, shape, seed, tokenizerJson }))
    .digest('hex')
    .slice(0, 16)}`
  const existing = await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => null)
  if (existing && (JSON.parse(existing) as { revision?: string }).revision === revision) return dir

  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'model.onnx'), buildBertModel(shape, seed))
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson))
  // The manifest goes last: its presence with this revision marks the folder complete.
  const manifest = bertManifest(id, revision, shape, pooling)
  await writeFile(join(dir, 'manifest.json.tmp'), `${JSON.stringify(manifest, null, 2)}\n`)
  await rename(join(dir, 'manifest.json.tmp'), join(dir, 'manifest.json'))
  return dir
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { pooling: { type: 'string', default: 'mean' } },
    allowPositionals: true,
  })
  if (values.pooling !== 'mean' && values.pooling !== 'cls')
    throw new Error(`--pooling must be mean or cls, got ${values.pooling}`)
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
  const dir = await ensureTinyBert(resolve(positionals[0] ?? join(repoRoot, 'models')), {
    pooling: values.pooling,
  })
  console.log(`tiny BERT (${values.pooling} pooling) in ${dir}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
