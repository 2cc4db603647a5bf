/**
 * `npm run bench:long -- DIR [--variant V] [--tokens 1024,8192,32768]`: the longest input a model
 * folder's variant runs on this machine, with its time and the node's peak memory. Each length
 * runs in a fresh node process (its VmHWM is the peak of that one request plus loading), one
 * input alone, through the node's real queue and sessions; a refusal (413 from the attention
 * memory bound) is reported as such. The load generator is this process: nothing else runs.
 */
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { REPO_ROOT } from '../../../gpu-node/config.ts'
import { describeProvenance, provenance } from '../provenance.ts'

const { values, positionals } = parseArgs({
  options: {
    variant: { type: 'string' },
    tokens: { type: 'string', default: '1024,4096,8192,16384,32768' },
    'max-attention-bytes': { type: 'string' },
  },
  allowPositionals: true,
})
const dir = positionals[0]
if (!dir) throw new Error('usage: npm run bench:long -- DIR [--variant V] [--tokens N,N]')

const stamp = provenance()
console.log(`measured ${describeProvenance(stamp)}`)
const rows: object[] = []
for (const tokens of values.tokens.split(',').map(Number)) {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/bench/long-input/one-run.ts')],
    {
      env: {
        ...process.env,
        LONG_DIR: path.resolve(dir),
        LONG_TOKENS: String(tokens),
        ...(values.variant ? { MODEL_VARIANT: values.variant } : {}),
        ...(values['max-attention-bytes']
          ? { MAX_ATTENTION_BYTES: values['max-attention-bytes'] }
          : {}),
      },
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    },
  )
  const row = JSON.parse(out.trim().split('\n').at(-1)!) as object
  console.log(JSON.stringify(row))
  rows.push(row)
}
console.log(JSON.stringify({ provenance: stamp, folder: path.basename(path.resolve(dir)), rows }))
