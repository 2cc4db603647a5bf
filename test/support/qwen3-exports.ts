/** Generated Qwen3-Embedding export folders (hf-exports.ts) in a temp dir, for tests. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ensureQwen3Export, type ExportLayoutName } from '../../scripts/tiny-qwen3/hf-exports.ts'

export async function qwen3Exports<L extends ExportLayoutName>(layouts: L[]) {
  const workDir = await mkdtemp(path.join(tmpdir(), 'qwen3-exports-test-'))
  const dirs = {} as Record<L, string>
  for (const layout of layouts)
    dirs[layout] = await ensureQwen3Export(workDir, layout, { log: () => {} })
  return { workDir, dirs, remove: () => rm(workDir, { recursive: true, force: true }) }
}
