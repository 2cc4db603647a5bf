/**
 * Where a model folder came from, when the Hugging Face tools left a trace:
 * a snapshot of the hub cache (`models--Qwen--Qwen3-Embedding-0.6B/
 * snapshots/<commit>/`, its files symlinks into `blobs/`), the cache entry
 * itself (`refs/main` names the snapshot), or a `--local-dir` download, whose
 * `.cache/huggingface/download/*.metadata` files start with the commit. The
 * commit is the best revision there is: it changes exactly when the
 * published files do.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

export interface FolderOrigin {
  /** The folder to read: the snapshot when `dir` was the cache entry. */
  dir: string
  /** `Qwen3-Embedding-0.6B` for a hub repo, else the folder's own name. */
  name: string
  /** The hub commit the files are from, when known. */
  commit: string | null
  /** Where `commit` was read, for the node to say. */
  commitSource: string | null
}

const COMMIT = /^[0-9a-f]{40}$/

export function folderOrigin(dir: string): FolderOrigin {
  const resolved = path.resolve(dir)
  // The cache entry itself: follow refs/main to its snapshot.
  const ref = path.join(resolved, 'refs', 'main')
  if (path.basename(resolved).startsWith('models--') && existsSync(ref)) {
    const commit = readFileSync(ref, 'utf8').trim()
    if (COMMIT.test(commit)) {
      return {
        dir: path.join(resolved, 'snapshots', commit),
        name: repoName(path.basename(resolved)),
        commit,
        commitSource: 'refs/main of the Hugging Face cache entry',
      }
    }
  }
  const parent = path.dirname(resolved)
  const base = path.basename(resolved)
  if (
    COMMIT.test(base) &&
    path.basename(parent) === 'snapshots' &&
    path.basename(path.dirname(parent)).startsWith('models--')
  ) {
    return {
      dir: resolved,
      name: repoName(path.basename(path.dirname(parent))),
      commit: base,
      commitSource: 'the Hugging Face cache snapshot it is',
    }
  }
  const commit = localDirCommit(resolved)
  return {
    dir: resolved,
    name: base,
    commit,
    commitSource: commit ? '.cache/huggingface/download metadata (a --local-dir download)' : null,
  }
}

/** `models--Qwen--Qwen3-Embedding-0.6B` → `Qwen3-Embedding-0.6B`. */
function repoName(entry: string): string {
  return entry.split('--').at(-1) ?? entry
}

/** `huggingface-cli download --local-dir` writes one metadata file per file: commit, etag, time. */
function localDirCommit(dir: string): string | null {
  const metadataDir = path.join(dir, '.cache', 'huggingface', 'download')
  if (!existsSync(metadataDir)) return null
  const files = readdirSync(metadataDir, { recursive: true, encoding: 'utf8' })
  const metadata = files.find((file) => file.endsWith('.metadata'))
  if (!metadata) return null
  const first = readFileSync(path.join(metadataDir, metadata), 'utf8').split('\n')[0]?.trim()
  return first && COMMIT.test(first) ? first : null
}
