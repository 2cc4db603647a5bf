/**
 * Starts a baseline server (naive-server.ts, transformers-server.ts) as its own process, as the
 * node runs in its own: the load client never shares an event loop with the server it measures.
 * Output lines are echoed with a label; resolves once `/ready` answers.
 */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { REPO_ROOT } from '../../../gpu-node/config.ts'
import { spawnService, waitForOk } from '../../dev/processes.ts'
import { freePort } from '../../dev/service-process.ts'

/** A baseline that cannot serve its model prints this, then the reason, and exits 2. */
export const CANNOT_SERVE = 'CANNOT_SERVE'

export interface RunningServer {
  url: string
  /** The server's process, whose CPU time each cell reads (cpu-meter.ts). */
  pid: number
  stop: () => Promise<void>
}

/** Thrown when a baseline said why it cannot serve the model; `reason` is its own words. */
export class CannotServeError extends Error {
  constructor(readonly reason: string) {
    super(reason)
  }
}

const HERE = path.dirname(fileURLToPath(import.meta.url))

export async function startBaselineServer(options: {
  label: string
  script: 'naive-server.ts' | 'transformers-server.ts' | 'naive-sim-server.ts'
  modelDir: string
  secret: string
  env: Record<string, string>
}): Promise<RunningServer> {
  const port = await freePort()
  const child = spawnService(
    options.label,
    process.execPath,
    ['--import', 'tsx', path.join(HERE, options.script)],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...options.env,
        BENCH_SERVER_PORT: String(port),
        BENCH_SERVER_MODEL_DIR: options.modelDir,
        BENCH_SERVER_SECRET: options.secret,
      },
    },
  )
  let reason: string | null = null
  child.stderr?.on('data', (chunk: Buffer) => {
    const line = chunk
      .toString()
      .split('\n')
      .find((l) => l.startsWith(CANNOT_SERVE))
    if (line) reason = line.slice(CANNOT_SERVE.length).trim()
  })
  const url = `http://127.0.0.1:${port}`
  try {
    await waitForOk(`${url}/ready`, child, 300_000)
  } catch (err) {
    await stopChild(child)
    // The reason may still be in the pipe when the exit is seen.
    await Promise.all(
      [child.stdout, child.stderr].map((s) => (s && !s.closed ? once(s, 'close') : null)),
    )
    if (reason) throw new CannotServeError(reason)
    throw err
  }
  return { url, pid: child.pid!, stop: () => stopChild(child) }
}

/** SIGTERM, and SIGKILL if the process still runs `graceMs` later; resolves once it exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const killTimer = setTimeout(() => {
    console.log(
      `[bench] process ${child.pid} still running ${graceMs / 1000} s after SIGTERM; killing it`,
    )
    child.kill('SIGKILL')
  }, graceMs)
  await exited
  clearTimeout(killTimer)
}
