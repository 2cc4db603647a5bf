/**
 * The worker every cold isolate parses stays small (docs/performance.md, "Edge cold start"):
 * bundled as `wrangler deploy` would upload it, at most 80 KiB gzipped. And edge/ and shared/
 * take zod only through shared/zod-mini.ts: one import of zod's classic API, or of the OpenAPI
 * generator (edge/openapi/document.ts), brings back what the bundle was cut from.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { bundleEdge } from '../../scripts/dev/bundled-edge.ts'
import { sourceFiles } from '../support/source-files.ts'

const MAX_GZIP_KIB = 80

describe('the edge bundle', () => {
  it(`is at most ${MAX_GZIP_KIB} KiB gzipped, as wrangler deploy uploads it`, async () => {
    const bundle = await bundleEdge()
    try {
      const worker = readFileSync(path.join(bundle.dir, 'index.js'))
      expect(gzipSync(worker).length / 1024).toBeLessThanOrEqual(MAX_GZIP_KIB)
    } finally {
      await bundle.remove()
    }
  })

  it('takes zod only through shared/zod-mini.ts, and never the OpenAPI generator', () => {
    const worker = sourceFiles(['edge', 'shared'], /\.ts$/, false).filter(
      (file) => file !== 'shared/zod-mini.ts' && file !== 'edge/openapi/document.ts',
    )
    const offending = worker.filter((file) =>
      /from '(zod[^']*|[^']*\/document\.ts)'/.test(
        readFileSync(path.join(REPO_ROOT, file), 'utf8'),
      ),
    )
    expect(offending).toEqual([])
  })
})
