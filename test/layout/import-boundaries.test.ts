/**
 * Which folders may import which: the product (edge/, gpu-node/, shared/) imports no test or
 * script code, and scripts/ (benchmarks, dev tools, fixture generators) imports nothing from
 * test/, which may import both. Test files themselves may import anything. A test helper that
 * creeps into a product folder, or an import loop between scripts/ and test/, fails here.
 *
 * And every folder, tests included, takes zod only through shared/zod-mini.ts: the edge's bundle
 * has room for zod/mini only, so zod/mini is the repo's one zod API, and a single import of the
 * classic one would bring back a second way to write each schema (on the worker, all of zod).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { sourceFiles } from '../support/source-files.ts'

/** Non-test source files under `dir`, with the top-level folders their relative imports reach. */
function importsOf(dir: string): { file: string; reaches: string }[] {
  return sourceFiles([dir], /\.(ts|mjs)$/, false).flatMap((from) => {
    const text = readFileSync(path.join(REPO_ROOT, from), 'utf8')
    return [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map(
      ([, spec]) => ({
        file: from,
        reaches: path.normalize(path.join(path.dirname(from), spec)).split(path.sep)[0],
      }),
    )
  })
}

const crossing = (dirs: string[], forbidden: string[]) =>
  dirs
    .flatMap(importsOf)
    .filter(({ reaches }) => forbidden.includes(reaches))
    .map(({ file, reaches }) => `${file} imports from ${reaches}/`)

describe('import boundaries', () => {
  it('keep test and script code out of the product', () => {
    expect(importsOf('gpu-node').length).toBeGreaterThan(50)
    expect(crossing(['edge', 'gpu-node', 'shared'], ['test', 'scripts', 'eval'])).toEqual([])
  })

  it('keep scripts/ and eval/ from importing test/, so the two folders never import each other both ways', () => {
    expect(crossing(['scripts', 'eval'], ['test'])).toEqual([])
  })

  it('let only shared/zod-mini.ts import zod, so the repo has one zod API', () => {
    const all = ['edge', 'gpu-node', 'shared', 'scripts', 'test', 'eval', 'deploy']
    const importers = sourceFiles(all, /\.(ts|mjs)$/).filter((file) =>
      /(?:from|import)\s*\(?\s*['"]zod(?:\/[^'"]*)?['"]/.test(
        readFileSync(path.join(REPO_ROOT, file), 'utf8'),
      ),
    )
    expect(importers).toEqual(['shared/zod-mini.ts'])
  })
})
