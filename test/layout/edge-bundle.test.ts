/**
 * The worker every cold isolate parses stays small (docs/performance.md, "Edge cold start"):
 * bundled as `wrangler deploy` would upload it, at most 80 KiB gzipped. And edge/ and shared/
 * never import the OpenAPI generator (edge/openapi/document.ts), which would bring zod's JSON
 * Schema generator back into the bundle it was cut from. That zod comes only through
 * shared/zod-mini.ts is import-boundaries.test.ts's rule, for the whole repo.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { bundleEdge, bundleSize } from '../../scripts/dev/bundled-edge.ts'
import { sourceFiles } from '../support/source-files.ts'

const MAX_GZIP_KIB = 80

describe('the edge bundle', () => {
  it(`is at most ${MAX_GZIP_KIB} KiB gzipped, as wrangler deploy uploads it`, async () => {
    const bundle = await bundleEdge()
    try {
      // Every module it uploads, as bench:edge-cold-start counts them.
      expect((await bundleSize(bundle.dir)).gzip / 1024).toBeLessThanOrEqual(MAX_GZIP_KIB)
    } finally {
      await bundle.remove()
    }
  })

  it('never imports the OpenAPI generator', () => {
    const offending = sourceFiles(['edge', 'shared'], /\.ts$/, false).filter((file) =>
      /from '[^']*\/document\.ts'/.test(readFileSync(path.join(REPO_ROOT, file), 'utf8')),
    )
    expect(offending).toEqual([])
  })
})
