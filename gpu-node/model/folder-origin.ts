/**
 * Where a model folder came from, when the Hugging Face tools left a trace:
 * a snapshot of the hub cache (`models--Qwen--Qwen3-Embedding-0.6B/
 * snapshots/<commit>/`, its files symlinks into `blobs/`), the cache entry
 * itself (`refs/main` names the snapshot), or a `--local-dir` download, whose
 * `.cache/huggingface/download/<file>.metadata` files start with the commit.
 * The commit is the best revision there is: it changes exactly when the
 * published files do.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

export interface FolderOrigin {
  /** The folder to read: the snapshot when `dir` was the cache entry. */
  dir: string
  /** `Qwen3-Embedding-0.6B` for a hub repo, else the folder's own name. */
  name: string
  /** Where `name` came from, for the node to say. */
  nameSource: string
  /**
   * The hub commit a file of the folder (path relative to it) was downloaded from, and where
   * that was read; null when no trace says.
   */
  commitOf(file: string): { commit: string; source: string } | null
}

const COMMIT = /^[0-9a-f]{40}$/

export function folderOrigin(dir: string): FolderOrigin {
  const resolved = path.resolve(dir)
  // The cache entry itself: follow refs/main to its snapshot.
  const ref = path.join(resolved, 'refs', 'main')
  if (path.basename(resolved).startsWith('models--') && existsSync(ref)) {
    const commit = readFileSync(ref, 'utf8').trim()
    if (COMMIT.test(commit)) {
      const source = 'refs/main of the Hugging Face cache entry'
      return {
        dir: path.join(resolved, 'snapshots', commit),
        name: repoName(path.basename(resolved)),
        nameSource: "the hub repo's name",
        commitOf: () => ({ commit, source }),
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
    const source = 'the Hugging Face cache snapshot it is'
    return {
      dir: resolved,
      name: repoName(path.basename(path.dirname(parent))),
      nameSource: "the hub repo's name",
      commitOf: () => ({ commit: base, source }),
    }
  }
  return {
    dir: resolved,
    name: base,
    nameSource: "the folder's name",
    commitOf: (file) => localDirCommit(resolved, file),
  }
}

/** `models--Qwen--Qwen3-Embedding-0.6B` → `Qwen3-Embedding-0.6B`. */
function repoName(entry: string): string {
  return entry.split('--').at(-1) ?? entry
}

/**
 * `huggingface-cli download --local-dir` writes one metadata file per file it downloaded:
 * commit, etag, time. Only the served file's own counts: another file's commit says nothing of
 * a graph exported or copied in later.
 */
function localDirCommit(dir: string, file: string): { commit: string; source: string } | null {
  const metadata = path.join(dir, '.cache', 'huggingface', 'download', `${file}.metadata`)
  if (!existsSync(metadata)) return null
  const first = readFileSync(metadata, 'utf8').split('\n')[0]?.trim()
  if (!first || !COMMIT.test(first)) return null
  return {
    commit: first,
    source: `.cache/huggingface/download/${file}.metadata (a --local-dir download)`,
  }
}
