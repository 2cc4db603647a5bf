/** A freshly generated tiny Qwen3 model folder in a temp dir, for tests that load a real model. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ensureTinyQwen3 } from '../../scripts/tiny-qwen3/generate.ts'

export async function tinyQwen3Folder(options: { withPast?: boolean } = {}) {
  const workDir = await mkdtemp(path.join(tmpdir(), 'qwen3-tiny-test-'))
  const dir = await ensureTinyQwen3(workDir, { withPast: options.withPast, log: () => {} })
  return { dir, remove: () => rm(workDir, { recursive: true, force: true }) }
}
