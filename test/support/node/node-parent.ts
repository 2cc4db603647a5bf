/**
 * A process that starts an inference node as `npm start` and the benchmarks do
 * (scripts/dev/inference-node-process.ts), prints `{"pid", "url"}` of it as one line, and then
 * waits to be killed: gpu-node/parent-gone.test.ts kills it with SIGKILL, which no handler sees.
 * Arguments: the model folder, the node secret.
 */
import { startInferenceNode } from '../../../scripts/dev/inference-node-process.ts'

const [modelDir, secret] = process.argv.slice(2)
const node = await startInferenceNode({
  modelDir,
  secret,
  env: { EXECUTION_PROVIDERS: 'cpu', TOKENIZATION_WORKERS: '1' },
})
console.log(JSON.stringify({ pid: node.process.pid, url: node.url }))
setInterval(() => {}, 60_000)
