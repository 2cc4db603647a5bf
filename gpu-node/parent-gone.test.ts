/**
 * A node started by another process (npm start, the tests, the benchmarks) does not outlive it:
 * when that process dies without a word (SIGKILL, a closed terminal, a crash), the node's IPC
 * channel closes and the node shuts down, instead of holding its port, its memory and a GPU
 * until someone finds it.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { REPO_ROOT } from './config.ts'
import { TEST_SECRET } from '../scripts/dev/node-in-process.ts'
import { tinyQwen3Folder } from '../test/support/tiny-qwen3-folder.ts'

let folder: Awaited<ReturnType<typeof tinyQwen3Folder>>

beforeAll(async () => {
  folder = await tinyQwen3Folder()
})
afterAll(async () => {
  await folder.remove()
})

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('a node whose parent is killed', () => {
  it('shuts down', async () => {
    const parent = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/node/node-parent.ts', folder.dir, TEST_SECRET],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const [line] = (await once(createInterface({ input: parent.stdout! }), 'line')) as [string]
    const { pid, url } = JSON.parse(line) as { pid: number; url: string }
    expect((await fetch(`${url}/ready`)).status).toBe(200)

    parent.kill('SIGKILL')
    await vi.waitFor(() => expect(isAlive(pid)).toBe(false), { timeout: 60_000, interval: 100 })
    await expect(fetch(`${url}/ready`)).rejects.toThrow()
  })
})
