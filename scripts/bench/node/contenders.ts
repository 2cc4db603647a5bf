/**
 * Starts each served contender on a model, one at a time, each in its own process:
 * (a) the real inference node (gpu-node/main.ts, as an operator starts it), (b) the naive
 * server, (c) the transformers.js server on a Hugging Face-style view of the same folder.
 */
import {
  startInferenceNode,
  type RunningNode,
} from '../../dev/inference-node-process.ts'
import { buildHfFolder } from './hf-folder.ts'
import type { ContenderName } from './report.ts'
import { startBaselineServer, type RunningServer } from './server-process.ts'
import { nodeEnv, sessionSettingsEnv, type BenchSessionSettings } from './session-options.ts'

export const CONTENDERS: ContenderName[] = ['node', 'naive', 'transformers.js']

/**
 * The node finishes what is in flight on SIGTERM; after a cell cut at its deadline that may be
 * a long batch, which the benchmark does not need. Past this grace it is killed.
 */
const STOP_GRACE_MS = 15_000

export async function startContender(
  name: ContenderName,
  options: { modelDir: string; secret: string; session: BenchSessionSettings; hfConfig: object },
): Promise<RunningServer> {
  const { modelDir, secret, session } = options
  if (name === 'node') {
    const node = await startInferenceNode({ modelDir, secret, env: nodeEnv(session) })
    return {
      url: node.url,
      pid: node.process.pid!,
      stop: () => stopWithin(node, STOP_GRACE_MS),
    }
  }
  if (name === 'naive') {
    return startBaselineServer({
      label: '[naive]',
      script: 'naive-server.ts',
      modelDir,
      secret,
      env: sessionSettingsEnv(session),
    })
  }
  const folder = await buildHfFolder(modelDir, options.hfConfig)
  try {
    const server = await startBaselineServer({
      label: '[transformers.js]',
      script: 'transformers-server.ts',
      modelDir: folder.dir,
      secret,
      env: { ...sessionSettingsEnv(session), BENCH_HF_POOLING: folder.pooling },
    })
    return { ...server, stop: () => server.stop().finally(folder.remove) }
  } catch (err) {
    await folder.remove()
    throw err
  }
}

async function stopWithin(node: RunningNode, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const stopped = node.stop()
  const graceOver = new Promise<'kill'>((resolve) => {
    timer = setTimeout(() => resolve('kill'), graceMs)
  })
  if ((await Promise.race([stopped, graceOver])) === 'kill') {
    console.log(`[bench] the node was still finishing work after ${graceMs / 1000} s; killing it`)
    node.process.kill('SIGKILL')
    await stopped
  }
  clearTimeout(timer)
}
