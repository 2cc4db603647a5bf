/**
 * A model folder that differs from another only in its manifest (e.g. a lower
 * max_input_tokens), with the graph and tokenizer linked, not copied.
 */
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ModelManifest } from '../../../gpu-node/model/manifest.ts'

export async function patchedModelFolder(dir: string, patch: Partial<ModelManifest>) {
  const copy = await mkdtemp(path.join(tmpdir(), 'patched-model-'))
  for (const name of await readdir(dir)) {
    if (name !== 'manifest.json') await symlink(path.join(dir, name), path.join(copy, name))
  }
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as object
  await writeFile(path.join(copy, 'manifest.json'), JSON.stringify({ ...manifest, ...patch }))
  return { dir: copy, remove: () => rm(copy, { recursive: true, force: true }) }
}
