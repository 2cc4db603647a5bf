/** Starts the real inference node (gpu-node/main.ts) as a child process, as an operator would. */
import { spawn, type ChildProcess } from 'node:child_process'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { freePort } from './service-process.ts'

export interface RunningNode {
  url: string
  process: ChildProcess
  /** Everything the node printed, for assertions on its log. */
  output: () => string
  /** Sends SIGTERM and waits for the process to exit. */
  stop: () => Promise<void>
  /** Settles when the process has exited, with its exit code (or the signal that ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export async function startInferenceNode(options: {
  modelDir: string
  secret: string
  env?: Record<string, string>
  /** Listen here (a restart keeps its URL); default: a free port. */
  port?: number
}): Promise<RunningNode> {
  const port = options.port ?? (await freePort())
  const child = spawn(process.execPath, ['--import', 'tsx', 'gpu-node/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NODE_HOST: '127.0.0.1',
      NODE_PORT: String(port),
      MODEL_DIR: options.modelDir,
      NODE_SECRET: options.secret,
      ...options.env,
    },
    // The IPC channel ends the node when this process ends, however (gpu-node/main.ts).
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  // ...and does not keep this process alive by itself.
  child.channel?.unref()
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const url = `http://127.0.0.1:${port}`
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
    })
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the inference node exited early:\n${output}`)
    const ready = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    )
    if (ready) return { url, process: child, output: () => output, stop, exited }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await stop()
  throw new Error(`the inference node was not ready within 120 s:\n${output}`)
}
