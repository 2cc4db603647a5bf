/**
 * The README's request walk and the tree agree: every step names a file that exists, that
 * file's header names the step, and no header names a step the README gives another file.
 * A file moved, renamed or renumbered without the other side fails here.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { sourceFiles } from '../support/source-files.ts'

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')
const walk = readme.slice(
  readme.indexOf("## A request's walk"),
  readme.indexOf('\n## ', readme.indexOf("## A request's walk") + 1),
)

/** Step number → the file it starts with. */
const steps = new Map(
  [...walk.matchAll(/^(\d+)\. `([^`]+)`/gm)].map(([, step, file]) => [Number(step), file]),
)

/** The steps a source file's header claims ("The README's request walk: steps 10 and 17."). */
function claimedSteps(file: string): number[] {
  const header = /^\/\*\*[\s\S]*?\*\//.exec(readFileSync(path.join(REPO_ROOT, file), 'utf8'))
  const claim = header && /The README's request walk: steps? ([\d, and]+)\./.exec(header[0])
  return claim ? [...claim[1].matchAll(/\d+/g)].map(([n]) => Number(n)) : []
}

describe("the README's request walk", () => {
  it('numbers its steps 1, 2, 3 … with a file each, and each file exists', () => {
    expect([...steps.keys()]).toEqual(Array.from({ length: steps.size }, (_, i) => i + 1))
    expect(steps.size).toBeGreaterThanOrEqual(15)
    for (const file of steps.values()) expect(existsSync(path.join(REPO_ROOT, file))).toBe(true)
  })

  it("matches the headers: each step's file names it, and no other file claims a step", () => {
    for (const [step, file] of steps) expect(claimedSteps(file)).toContain(step)
    for (const file of sourceFiles(['edge', 'gpu-node', 'shared'], /\.ts$/))
      for (const step of claimedSteps(file)) expect([step, steps.get(step)]).toEqual([step, file])
  })
})
