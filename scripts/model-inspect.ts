/**
 * `npm run model:inspect -- DIR [--variant V]`: what the node would serve from a model folder,
 * and where each value came from, without starting a node or loading weights. Every precision
 * variant in the folder is shown (or only `--variant`), with what the node refuses and why: a
 * missing tokenizer, a graph input nobody can feed, an output it cannot pool. Exits 1 when
 * anything shown is refused, 0 otherwise.
 */
import { statSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { deriveVariant, readModelFolder, type ModelFolder } from '../gpu-node/model/model-folder.ts'
import { chooseVariant, parseVariant, type ModelVariant } from '../gpu-node/model/variants.ts'
import { TextTokenizer } from '../gpu-node/tokenization/text-tokenizer.ts'

const { values, positionals } = parseArgs({
  options: { variant: { type: 'string' }, 'model-id': { type: 'string' } },
  allowPositionals: true,
})
const dir = positionals[0]
if (!dir) {
  console.error('usage: npm run model:inspect -- DIR [--variant fp32|fp16|q8|…] [--model-id ID]')
  process.exit(2)
}

let folder: ModelFolder
try {
  folder = readModelFolder(path.resolve(dir), { modelId: values['model-id'] })
} catch (err) {
  console.log(`REFUSED ${dir}\n${(err as Error).message}`)
  process.exit(1)
}

const mib = (file: string) => `${(statSync(file).size / 2 ** 20).toFixed(1)} MiB`
console.log(`folder: ${folder.dir}`)
console.log(
  `config files: ${folder.files.files.map((f) => path.relative(folder.dir, f)).join(', ') || 'none'}`,
)
console.log(
  `variants: ${[...folder.variants].map(([v, f]) => `${v} (${path.relative(folder.dir, f)}, ${mib(f)})`).join(', ') || 'none'}`,
)
for (const device of ['cpu', 'gpu'] as const) {
  try {
    const choice = chooseVariant(folder.variants, device, undefined)
    console.log(
      `default on ${device.toUpperCase()}: ${choice.variant}${choice.fallback ? ` (${choice.fallback})` : ''}`,
    )
  } catch (err) {
    console.log(`default on ${device.toUpperCase()}: none (${(err as Error).message})`)
  }
}

const shown: ModelVariant[] = values.variant
  ? [parseVariant(values.variant)]
  : [...folder.variants.keys()]
let refused = shown.length === 0
if (shown.length === 0)
  console.log('\nREFUSED: the folder has no model.onnx (nor onnx/model*.onnx)')
for (const variant of shown) {
  const derived = deriveVariant(folder, variant)
  console.log(
    `\n== ${variant}${derived.onnxPath ? `: ${path.relative(folder.dir, derived.onnxPath)}` : ''}`,
  )
  if (derived.graph) {
    const io = (t: { name: string; type: string; shape: unknown[] }) =>
      `${t.name} ${t.type} ${JSON.stringify(t.shape)}`
    const past = derived.graph.inputs.filter((t) => t.name.startsWith('past_key_values.'))
    const inputs = derived.graph.inputs.filter((t) => !t.name.startsWith('past_key_values.'))
    console.log(
      `  inputs:  ${inputs.map(io).join('; ')}${past.length ? `; + ${past.length} past_key_values.* (fed empty)` : ''}`,
    )
    console.log(
      `  outputs: ${derived.graph.outputs
        .filter((t) => !t.name.startsWith('present'))
        .map(io)
        .join('; ')}`,
    )
    if (derived.graph.externalFiles.length)
      console.log(`  weights in: ${derived.graph.externalFiles.join(', ')}`)
  }
  for (const [name, { value, source }] of Object.entries(derived.fields)) {
    console.log(`  ${name.padEnd(20)} ${JSON.stringify(value)}  ← ${source}`)
  }
  if (derived.manifest && folder.tokenizerPath) {
    const tokenizer = new TextTokenizer(
      folder.tokenizerJson,
      folder.tokenizerConfig,
      derived.manifest,
    )
    const eos = derived.manifest.eos_token_id
    if (eos !== null) {
      console.log(
        `  end token ${eos}: appended by ${tokenizer.tokenizerAppendsEos ? "tokenizer.json's post-processor" : 'the node (the tokenizer does not)'}; "hello" → ${JSON.stringify(tokenizer.encode({ text: 'hello' }, true))}`,
      )
    }
  }
  if (derived.refusals.length > 0) {
    refused = true
    console.log(`  REFUSED:\n    - ${derived.refusals.join('\n    - ')}`)
  } else {
    console.log(`  served as ${derived.manifest!.id}@${derived.manifest!.revision}`)
  }
}
process.exit(refused ? 1 : 0)
