/**
 * Every setting the service reads is documented, and every documented one is read: the
 * variables and bindings the edge (`env.X`) and the node (`gpu-node/config.ts`) read, against
 * the first column of the settings tables in docs/operating.md (`NODE_BREAKER_*` covers its
 * family). A setting added without a line in the docs, or a line left for a setting no longer
 * read, fails here.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { sourceFiles } from '../support/source-files.ts'

const READS = [
  /\benv\.([A-Z][A-Z0-9_]{2,})/g,
  /process\.env\.([A-Z][A-Z0-9_]+)/g,
  /(?:intFrom|numberFrom|flagFrom)\(\s*env,\s*'([A-Z][A-Z0-9_]+)'/g,
]

function settingsRead(): Map<string, string> {
  const read = new Map<string, string>()
  // Product source: the two tiers and what they share, without their tests.
  for (const file of sourceFiles(['edge', 'gpu-node', 'shared'], /\.ts$/, false)) {
    const text = readFileSync(path.join(REPO_ROOT, file), 'utf8')
    for (const pattern of READS)
      for (const match of text.matchAll(pattern)) if (!read.has(match[1])) read.set(match[1], file)
  }
  return read
}

function settingsDocumented(): { names: Set<string>; families: string[] } {
  const text = readFileSync(path.join(REPO_ROOT, 'docs/operating.md'), 'utf8')
  const names = new Set<string>()
  const families: string[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('| `')) continue
    const firstCell = line.split('|')[1]
    for (const [, name] of firstCell.matchAll(/`([A-Z][A-Z0-9_]+\*?)`/g)) {
      if (name.endsWith('*')) families.push(name.slice(0, -1))
      else names.add(name)
    }
  }
  return { names, families }
}

describe('the settings', () => {
  const read = settingsRead()
  const { names, families } = settingsDocumented()
  const documented = (name: string) =>
    names.has(name) || families.some((prefix) => name.startsWith(prefix))

  it('read by the edge or the node are each documented in docs/operating.md', () => {
    // Sanity: the scan finds what it must (one of each tier's ways of reading).
    expect(read.get('NODE_TIMEOUT_MS')).toMatch(/^edge\//)
    expect(read.get('MAX_ATTENTION_BYTES')).toBe('gpu-node/config.ts')
    const undocumented = [...read].filter(([name]) => !documented(name))
    expect(undocumented.map(([name, file]) => `${name} (read in ${file})`)).toEqual([])
  })

  it('documented in docs/operating.md are each read by the edge or the node', () => {
    expect(names.size).toBeGreaterThan(30)
    expect([...names].filter((name) => !read.has(name))).toEqual([])
    for (const prefix of families)
      expect([...read.keys()].some((name) => name.startsWith(prefix))).toBe(true)
  })
})
