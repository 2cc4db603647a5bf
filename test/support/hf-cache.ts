/**
 * Lays a model folder out as the Hugging Face hub cache does: `models--{org}--{name}/` with the
 * files in `blobs/` (named by a content hash), `snapshots/{commit}/…` symlinks into them with
 * relative targets, and `refs/main` naming the commit (no trailing newline), as `hf_hub_download`
 * leaves them.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'

export async function asHfCacheEntry(
  folder: string,
  cacheDir: string,
  repo: string,
  commit: string,
) {
  const entry = path.join(cacheDir, `models--${repo.replace('/', '--')}`)
  const snapshot = path.join(entry, 'snapshots', commit)
  await mkdir(path.join(entry, 'blobs'), { recursive: true })
  await mkdir(path.join(entry, 'refs'), { recursive: true })
  const files = (await readdir(folder, { recursive: true, withFileTypes: true })).filter((e) =>
    e.isFile(),
  )
  for (const file of files) {
    const source = path.join(file.parentPath, file.name)
    const relative = path.relative(folder, source)
    const blob = path.join(
      entry,
      'blobs',
      createHash('sha256')
        .update(relative)
        .update(await readFile(source))
        .digest('hex'),
    )
    await rename(source, blob)
    const link = path.join(snapshot, relative)
    await mkdir(path.dirname(link), { recursive: true })
    await symlink(path.relative(path.dirname(link), blob), link)
  }
  await writeFile(path.join(entry, 'refs', 'main'), commit)
  return { entry, snapshot }
}
