/**
 * `npm run eval`: a quality report for any OpenAI-compatible embeddings endpoint.
 *
 *   npm run eval                                   # starts the local service as npm start does
 *   npm run eval -- --base-url URL --api-key KEY --model MODEL
 *   npm run eval -- … --compare URL --compare-model M [--compare-api-key KEY]
 *   npm run eval -- --out DIR                      # default eval/reports/<time>
 *
 * Prints the date and commit it measures at, the report folder, a progress bar on stderr while it
 * embeds, and last, one JSON line with the verdicts and the same stamp. An unreachable endpoint, a refused key or an unknown model is one line on
 * stderr and exit 1.
 */
import path from 'node:path'
import { parseArgs } from 'node:util'
import { SingleBar } from 'cli-progress'
import { REPO_ROOT } from '../gpu-node/config.ts'
import { describeProvenance, provenance } from '../scripts/bench/provenance.ts'
import { startService, type RunningService } from '../scripts/dev/service-process.ts'
import { EvalError, type Target } from './client.ts'
import { runEval, summaryOf, TEXTS_PER_TARGET } from './run-eval.ts'

const OPTIONS = {
  'base-url': { type: 'string' },
  'api-key': { type: 'string' },
  model: { type: 'string' },
  compare: { type: 'string' },
  'compare-model': { type: 'string' },
  'compare-api-key': { type: 'string' },
  out: { type: 'string' },
} as const

/** Endpoints without keys (text-embeddings-inference, Infinity) ignore it; the client needs one. */
const NO_KEY = 'no-key'

/** The first model the service lists for this key: what `npm start` serves. */
async function servedModel(baseUrl: string, apiKey: string): Promise<string> {
  const response = await fetch(`${baseUrl}/models`, {
    headers: { authorization: `Bearer ${apiKey}` },
  })
  if (!response.ok) throw new EvalError(`${baseUrl}/models answered ${response.status}`)
  const { data } = (await response.json()) as { data: { id: string }[] }
  if (!data[0]) throw new EvalError(`${baseUrl}/models lists no model for this key`)
  return data[0].id
}

let service: RunningService | undefined
const stamp = provenance()
console.log(`measured ${describeProvenance(stamp)}`)
try {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values']
  try {
    values = parseArgs({ options: OPTIONS }).values
  } catch (err) {
    throw new EvalError((err as Error).message)
  }
  let main: Target
  if (values['base-url']) {
    if (!values.model) throw new EvalError('--base-url needs --model')
    main = {
      label: 'endpoint',
      baseUrl: values['base-url'],
      apiKey: values['api-key'] ?? process.env.OPENAI_API_KEY ?? NO_KEY,
      model: values.model,
    }
  } else {
    console.error('[eval] starting the local service (npm start) …')
    service = await startService()
    const baseUrl = `${service.edgeUrl}/v1`
    main = {
      label: 'local service',
      baseUrl,
      apiKey: service.apiKey,
      model: values.model ?? (await servedModel(baseUrl, service.apiKey)),
    }
  }
  const targets = [main]
  if (values.compare) {
    if (!values['compare-model']) throw new EvalError('--compare needs --compare-model')
    targets.push({
      label: 'compared',
      baseUrl: values.compare,
      apiKey: values['compare-api-key'] ?? process.env.OPENAI_API_KEY ?? NO_KEY,
      model: values['compare-model'],
    })
  }
  const outDir = path.resolve(
    values.out ??
      path.join(REPO_ROOT, 'eval', 'reports', new Date().toISOString().replace(/[:.]/g, '-')),
  )
  console.log(outDir)
  const bar = new SingleBar({
    stream: process.stderr,
    format: '[eval] {bar} {value}/{total} texts',
  })
  bar.start(TEXTS_PER_TARGET * targets.length, 0)
  const report = await runEval({
    targets,
    outDir,
    provenance: stamp,
    onProgress: (n) => bar.increment(n),
  }).finally(() => bar.stop())
  console.log(JSON.stringify(summaryOf(report, outDir)))
  await service?.stop()
  process.exit(0)
} catch (err) {
  await service?.stop().catch(() => {})
  const message = err instanceof EvalError ? err.message : `eval failed: ${(err as Error).message}`
  console.error(`[eval] ${message}`)
  process.exit(1)
}
