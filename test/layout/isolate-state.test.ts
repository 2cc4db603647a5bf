/**
 * The edge keeps what outlives a request in one place, edge/isolate/isolate-memory.ts, where its
 * bound, its safety between tenants and its reset are stated once. A module elsewhere that makes
 * state of its own at the top level (a `let`, an empty Map, Set or LRU, an instance of a class of
 * its own), or keeps a piece of the memory in a variable that outlives the reset, fails here.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { sourceFiles } from '../support/source-files.ts'

/** Top-level state that is not in the isolate's memory, and why it may be. */
const ALLOWED: Record<string, string> = {
  'edge/config.ts: const parsedByEnv = new WeakMap<object, EdgeConfig | SettingError>(':
    "the worker's settings, a function of its variables alone; Node code reads config.ts too",
  'edge/config.ts: const reported = new Set<string>(':
    'which setting problems this isolate has logged: fixed lines, no tenant data',
}

/**
 * Top-level declarations that make state: a `let`, or a `new` of anything but a Hono app (a
 * route table, fixed once the module has run) or a collection filled from a literal (a constant
 * lookup set); and a top-level copy of a piece of `isolateMemory`.
 */
const STATE =
  /^(?:export )?(?:let \w+|const (?:\w+|\{[^}]*\})(?::[^=]+)? = (?:new (?!Hono\b)[\w.]+(?:<.*?>)?\((?!\[)|isolateMemory\b))/gm

const declarationsIn = (text: string) =>
  [...text.matchAll(STATE)].map(([declaration]) =>
    declaration.replace(/^export /, '').replace(/^(let \w+).*/, '$1'),
  )

function stateOutsideIsolateMemory(): string[] {
  return sourceFiles(['edge'], /\.ts$/, false)
    .filter((file) => !file.startsWith(path.join('edge', 'isolate') + path.sep))
    .flatMap((file) =>
      declarationsIn(readFileSync(path.join(REPO_ROOT, file), 'utf8')).map(
        (declaration) => `${file}: ${declaration}`,
      ),
    )
}

describe('state that outlives a request in the edge', () => {
  it('is made only in edge/isolate/', () => {
    const found = stateOutsideIsolateMemory()
    expect(found.filter((declaration) => !(declaration in ALLOWED))).toEqual([])
  })

  it('is told apart from constants by this check', () => {
    const state = [
      'let lastSeen: ModelInfo[] | null = null',
      'const answers = new LRUCache<string, RememberedAnswer>({',
      'const tags = new WeakMap<Tenant, Promise<string>>()',
      'export const admissionLeases = new AdmissionLeases()',
      'const { answers } = isolateMemory',
      'const written = isolateMemory.embeddingJson',
    ]
    const constants = [
      'export const keysRoute = new Hono<AppEnv>()',
      "const LOOPBACK_HOSTS = new Set(['localhost', '[::1]'])",
      'const MAX_FAILURES = 5',
      '  let vectors = isolateMemory.vectors',
      '  const failures = isolateMemory.loginFailures',
    ]
    expect(declarationsIn(state.join('\n'))).toHaveLength(state.length)
    expect(declarationsIn(constants.join('\n'))).toEqual([])
  })
})
