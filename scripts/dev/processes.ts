/** Child processes for `npm start`: spawn with prefixed output, wait until a URL answers. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { createInterface } from 'node:readline'

/**
 * Spawns a child whose output lines are prefixed, so two services' logs stay
 * readable (null for a child that prefixes its own lines). `lifeline`: the child
 * also gets an IPC channel, which closes when this process ends however it ends
 * (an inference node then shuts down: gpu-node/main.ts).
 */
export function spawnService(
  label: string | null,
  command: string,
  args: string[],
  options: SpawnOptions & { lifeline?: boolean },
): ChildProcess {
  const { lifeline = false, ...spawnOptions } = options
  const stdio: SpawnOptions['stdio'] = [
    'ignore',
    'pipe',
    'pipe',
    ...(lifeline ? ['ipc' as const] : []),
  ]
  const child = spawn(command, args, { ...spawnOptions, stdio })
  child.channel?.unref()
  for (const stream of [child.stdout, child.stderr]) {
    if (stream)
      createInterface({ input: stream }).on('line', (line) =>
        console.log(label ? `${label} ${line}` : line),
      )
  }
  return child
}

/** Resolves once `url` answers 200; rejects if the child exits first or time runs out. */
export async function waitForOk(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${url}: the process exited (${child.exitCode ?? child.signalCode}) before it was ready`,
      )
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      if (response.ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms`)
}

/** Runs a command to completion; rejects with its output if it fails. */
export function run(command: string, args: string[], options: SpawnOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${output}`)),
    )
  })
}
