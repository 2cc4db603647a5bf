/**
 * A vector with NaN, infinite or all-zero components is never returned nor
 * cached: its input fails with 422 `invalid_vector`, the other requests in
 * the same batch are served, and /metrics counts it. Driven through the real
 * queue and session with a model that emits NaN for some inputs.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { decodeFrame } from '../shared/vector-codec.ts'
import type { LoadedNode } from './load-node.ts'
import { GatedBackend } from '../test/support/node/gated-backend.ts'
import { nanModelFolder } from '../test/support/node/nan-model.ts'
import { postEmbed, signedGet } from '../scripts/dev/signed-request.ts'
import { startTestNode } from '../scripts/dev/node-in-process.ts'

let node: LoadedNode
let gate: GatedBackend
let cleanUp: () => Promise<void>

beforeAll(async () => {
  const folder = await nanModelFolder()
  node = await startTestNode(
    folder.dir,
    {},
    { wrapBackends: (sessions) => sessions.map((session) => (gate = new GatedBackend(session))) },
  )
  cleanUp = async () => {
    await node.close()
    await folder.remove()
  }
})
afterAll(() => cleanUp())

const body = (...rows: number[][]) => ({
  model: 'nan-model',
  inputs: rows.map((ids) => ({ ids })),
  truncate: false,
})
const metric = async (line: RegExp) => {
  const text = await (await signedGet(node.app, '/metrics')).text()
  return Number(line.exec(text)?.[1] ?? 0)
}

describe('the vector guard', () => {
  it('fails the input whose vector is NaN, naming it, and serves a request batched beside it', async () => {
    // A first request holds the session while the two line up in one batch behind it.
    gate.hold()
    const before = gate.batches.length
    const holder = postEmbed(node.app, body([600]))
    await gate.reached(before + 1)
    const poisoned = postEmbed(node.app, body([200, 300], [5, 300]))
    const healthy = postEmbed(node.app, body([400, 401]))
    await vi.waitFor(() => expect(node.scheduler.queuedInputs).toBe(3), {
      timeout: 60_000,
      interval: 10,
    })
    gate.open()
    const [, bad, good] = await Promise.all([holder, poisoned, healthy])
    expect(bad.status).toBe(422)
    expect(await bad.json()).toMatchObject({
      error: { code: 'invalid_vector', param: 'input[1]', message: expect.stringMatching(/NaN/) },
    })
    expect(good.status).toBe(200)
    const frame = decodeFrame(await good.arrayBuffer())
    expect(frame.vectors[0].every(Number.isFinite)).toBe(true)
    // They shared a batch: the guard failed one row, not the batch.
    expect(gate.batches.slice(before).some((batch) => batch.length === 3)).toBe(true)
  })

  it('refuses an all-zero vector too, and caches neither', async () => {
    const zero = await postEmbed(node.app, body([100, 100]))
    expect(zero.status).toBe(422)
    expect(await zero.json()).toMatchObject({
      error: { code: 'invalid_vector', message: expect.stringMatching(/all zeros/) },
    })
    const invalidBefore = await metric(/te_vector_invalid\{reason="zero"\} (\d+)/)
    // Asked again, it runs again and fails again: nothing was cached.
    expect((await postEmbed(node.app, body([100, 100]))).status).toBe(422)
    expect(await metric(/te_vector_invalid\{reason="zero"\} (\d+)/)).toBe(invalidBefore + 1)
  })

  it('counts NaN vectors and records the norms of good ones on /metrics', async () => {
    expect(await metric(/te_vector_invalid\{reason="nan_or_inf"\} (\d+)/)).toBeGreaterThanOrEqual(1)
    expect(await metric(/te_vector_norm_count (\d+)/)).toBeGreaterThanOrEqual(2)
  })
})
