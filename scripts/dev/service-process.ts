/**
 * Runs `npm start`'s script as a child process on free ports with a known key
 * and a throwaway KV state folder, and resolves once it printed its banner.
 * The e2e tests and the benchmarks use it to exercise the service exactly as
 * a user starts it.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from '../../gpu-node/config.ts'

const READY_LINE = 'Embedding service ready at'

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export interface RunningService {
  edgeUrl: string
  apiKey: string
  /** The admin API's secret, as `npm run keys` takes it in EMBED_ADMIN_SECRET. */
  adminSecret: string
  /** What the start script printed up to its banner. */
  output: string
  stop: () => Promise<void>
}

export async function startService(
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<RunningService> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'embed-service-state-'))
  const edgePort = await freePort()
  const apiKey = `sk-local-${Date.now()}`
  const adminSecret = `admin-local-${randomBytes(16).toString('hex')}`
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      EDGE_PORT: String(edgePort),
      NODE_PORT: String(await freePort()),
      EMBED_DEV_KEY: apiKey,
      EMBED_ADMIN_SECRET: adminSecret,
      STATE_DIR: stateDir,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(killTimer)
    }
    await rm(stateDir, { recursive: true, force: true })
  }
  let output = ''
  try {
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 200_000
      const timer = setTimeout(
        () => reject(new Error(`npm start was not ready in ${timeoutMs} ms:\n${output}`)),
        timeoutMs,
      )
      const onData = (chunk: Buffer) => {
        output += chunk
        // The banner (key and curl example) follows the ready line.
        if (output.includes(READY_LINE) && output.includes('curl ')) {
          clearTimeout(timer)
          resolve()
        }
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`))
      })
    })
  } catch (err) {
    await stop()
    throw err
  }
  return { edgeUrl: `http://127.0.0.1:${edgePort}`, apiKey, adminSecret, output, stop }
}
