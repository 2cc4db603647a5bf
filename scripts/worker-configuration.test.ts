import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { generatedWorkerConfiguration, WORKER_CONFIGURATION } from './worker-configuration.ts'

describe('worker-configuration.d.ts', () => {
  it('is what `wrangler types` makes of wrangler.toml now (else: npm run types:edge)', async () => {
    const committed = await readFile(WORKER_CONFIGURATION, 'utf8')
    expect(committed, 'stale: run `npm run types:edge`').toBe(await generatedWorkerConfiguration())
  }, 60_000)
})
