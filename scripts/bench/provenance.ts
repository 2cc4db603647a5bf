/**
 * Where a figure came from: the date, the commit and whether the tree had uncommitted changes.
 * Every benchmark prints this first and puts it in its last JSON line, so a figure copied into
 * the docs carries the commit that produced it (a figure from a dirty tree says so).
 */
import { execFileSync } from 'node:child_process'
import { REPO_ROOT } from '../../gpu-node/config.ts'

export interface Provenance {
  /** ISO 8601, UTC. */
  date: string
  /** Short commit hash, or 'unknown' outside a git checkout. */
  commit: string
  /** True when tracked files differ from the commit: the figure is not that commit's. */
  dirty: boolean
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: 'pipe' }).trim()
  } catch {
    return null
  }
}

export function provenance(): Provenance {
  const commit = git(['rev-parse', '--short', 'HEAD']) ?? 'unknown'
  const status = git(['status', '--porcelain', '--untracked-files=no'])
  return { date: new Date().toISOString(), commit, dirty: status !== null && status !== '' }
}

export function describeProvenance(p: Provenance): string {
  return `${p.date.slice(0, 10)} at commit ${p.commit}${p.dirty ? ' (with uncommitted changes)' : ''}`
}
