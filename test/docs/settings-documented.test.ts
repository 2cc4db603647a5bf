/**
 * Every setting the service reads is documented, and every documented one is read: the
 * variables the edge reads (edge/config.ts, the one place it reads them) and the bindings it
 * uses, and those the node reads (gpu-node/config.ts), against the first column of the settings
 * tables in docs/operating.md (`NODE_BREAKER_*` covers its family). A setting added without a
 * line in the docs, a line left for a setting no longer read, or a setting read outside
 * edge/config.ts fails here. So does an edge default the docs state otherwise than
 * edge/config.ts: in the edge's table, where each is stated, or beside its name anywhere else.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { NUMERIC_SETTINGS } from '../../edge/config.ts'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { sourceFiles } from '../support/source-files.ts'

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8')
const names = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1])

const ENV_READ = /\benv\.([A-Z][A-Z0-9_]{2,})/g

/** The bindings wrangler.toml declares (KV namespaces, Durable Objects): used where needed. */
const BINDINGS = names(read('wrangler.toml'), /^(?:binding|name)\s*=\s*"([A-Z][A-Z0-9_]+)"/gm)

const NODE_READS = [
  /process\.env\.([A-Z][A-Z0-9_]+)/g,
  /(?:intFrom|numberFrom|flagFrom)\(\s*env,\s*'([A-Z][A-Z0-9_]+)'/g,
  ENV_READ,
]

/** Each setting or binding read, with the file that reads it. */
function settingsRead(): Map<string, string> {
  const found = new Map<string, string>()
  const add = (name: string, file: string) => found.has(name) || found.set(name, file)
  // edge/config.ts reads the numeric settings by their names in NUMERIC_SETTINGS.
  for (const name of Object.keys(NUMERIC_SETTINGS)) add(name, 'edge/config.ts')
  for (const file of sourceFiles(['edge'], /\.ts$/, false))
    for (const name of names(read(file), ENV_READ)) add(name, file)
  for (const file of sourceFiles(['gpu-node', 'shared'], /\.ts$/, false))
    for (const pattern of NODE_READS) for (const name of names(read(file), pattern)) add(name, file)
  return found
}

function settingsDocumented(): { names: Set<string>; families: string[] } {
  const documented = new Set<string>()
  const families: string[] = []
  for (const line of read('docs/operating.md').split('\n')) {
    if (!line.startsWith('| `')) continue
    const firstCell = line.split('|')[1]
    for (const [, name] of firstCell.matchAll(/`([A-Z][A-Z0-9_]+\*?)`/g)) {
      if (name.endsWith('*')) families.push(name.slice(0, -1))
      else documented.add(name)
    }
  }
  return { names: documented, families }
}

describe('the settings', () => {
  const settings = settingsRead()
  const { names: documentedNames, families } = settingsDocumented()
  const documented = (name: string) =>
    documentedNames.has(name) || families.some((prefix) => name.startsWith(prefix))

  it('read by the edge or the node are each documented in docs/operating.md', () => {
    // Sanity: the scan finds what it must (one of each tier's ways of reading).
    expect(settings.get('NODE_TIMEOUT_MS')).toBe('edge/config.ts')
    expect(settings.get('NODE_SECRET')).toBe('edge/config.ts')
    expect(settings.get('MAX_ATTENTION_BYTES')).toBe('gpu-node/config.ts')
    const undocumented = [...settings].filter(([name]) => !documented(name))
    expect(undocumented.map(([name, file]) => `${name} (read in ${file})`)).toEqual([])
  })

  it('documented in docs/operating.md are each read by the edge or the node', () => {
    expect(documentedNames.size).toBeGreaterThan(30)
    expect([...documentedNames].filter((name) => !settings.has(name))).toEqual([])
    for (const prefix of families)
      expect([...settings.keys()].some((name) => name.startsWith(prefix))).toBe(true)
  })

  it('of the edge are read in edge/config.ts alone; elsewhere the edge reads only its bindings', () => {
    expect(BINDINGS).toEqual(expect.arrayContaining(['CONTROL_KV', 'TENANT_LIMITER']))
    const elsewhere = sourceFiles(['edge'], /\.ts$/, false)
      .filter((file) => file !== 'edge/config.ts')
      .flatMap((file) => names(read(file), ENV_READ).map((name) => ({ name, file })))
      .filter(({ name }) => !BINDINGS.includes(name))
    expect(elsewhere.map(({ name, file }) => `${name} (read in ${file})`)).toEqual([])
  })

  it("of the edge have their defaults in the edge's table, as edge/config.ts has them", () => {
    const rows = edgeTableRows()
    expect(rows.has('NODE_URL')).toBe(true)
    for (const [name, setting] of Object.entries(NUMERIC_SETTINGS))
      expect(rows.get(name), name).toMatch(new RegExp(`^\`${setting.default}\``))
  })

  it('of the edge have, wherever the docs state a default beside their name, the same one', () => {
    const stated = statedDefaults()
    expect(stated.length).toBeGreaterThan(2)
    const wrong = stated.filter(({ name, value }) => value !== NUMERIC_SETTINGS[name].default)
    expect(wrong.map(({ file, text }) => `${file}: ${text}`)).toEqual([])
  })
})

/** The edge's settings table: each name with its default cell. */
function edgeTableRows(): Map<string, string> {
  const text = read('docs/operating.md')
  const section = text.slice(text.indexOf('### Edge'), text.indexOf('### Inference node'))
  const rows = new Map<string, string>()
  for (const [, name, cell] of section.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| ([^|]*) \|/gm))
    rows.set(name, cell.trim())
  return rows
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, KiB: 1024, MiB: 1024 * 1024 }

/** "`USAGE_FLUSH_MS` (200 ms" and the like, in the docs and the README, with the value meant. */
function statedDefaults() {
  const files = ['README.md', ...readdirSync(path.join(REPO_ROOT, 'docs')).map((f) => `docs/${f}`)]
  return files
    .filter((file) => file.endsWith('.md'))
    .flatMap((file) =>
      [
        ...read(file).matchAll(
          /`([A-Z][A-Z0-9_]+)` \((?:default )?([\d,.]+)(?: ?(ms|s|KiB|MiB)\b)?/g,
        ),
      ]
        .filter(([, name]) => name in NUMERIC_SETTINGS)
        .map(([text, name, number, unit]) => ({
          file,
          text,
          name: name as keyof typeof NUMERIC_SETTINGS,
          value: Number(number.replaceAll(',', '')) * (unit ? UNITS[unit] : 1),
        })),
    )
}
