/**
 * The docs' own links hold: every relative link in README.md and docs/*.md reaches a file
 * that exists, and a `#fragment` reaches a heading of that file, slugged as GitHub slugs it
 * (github-slugger). Moving a section between pages without its links fails here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import GithubSlugger from 'github-slugger'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../gpu-node/config.ts'

const pages = [
  'README.md',
  ...readdirSync(path.join(REPO_ROOT, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`),
]

/** The anchors of a markdown file's headings (outside code blocks), as GitHub makes them. */
function anchorsOf(file: string): Set<string> {
  const slugger = new GithubSlugger()
  const text = readFileSync(path.join(REPO_ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '')
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map(([, title]) => slugger.slug(title)))
}

/** Relative links of a page (not http, not mailto), outside code blocks and code spans. */
function linksOf(file: string): string[] {
  const text = readFileSync(path.join(REPO_ROOT, file), 'utf8')
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '')
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map(([, target]) => target)
    .filter((target) => !/^[a-z]+:/i.test(target))
}

describe('the documentation', () => {
  it.each(pages)('%s links only to files and headings that exist', (page) => {
    const broken: string[] = []
    for (const link of linksOf(page)) {
      const [target, fragment] = link.split('#')
      const file = target ? path.normalize(path.join(path.dirname(page), target)) : page
      if (!existsSync(path.join(REPO_ROOT, file))) broken.push(`${link} (no file ${file})`)
      else if (fragment && file.endsWith('.md') && !anchorsOf(file).has(fragment))
        broken.push(`${link} (no heading #${fragment} in ${file})`)
    }
    expect(broken).toEqual([])
  })
})
