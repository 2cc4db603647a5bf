/**
 * Fairness between tenants, through the whole node on a real model (tiny
 * Qwen3), with a gate in front of the session so the test sees what runs
 * while one tenant's large request is in progress, whatever the machine's
 * speed. Also: the node's cache never answers one tenant's scope with another's
 * vectors, and a call over its token limit is refused before inference.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { tinyQwen3Folder } from '../../test/support/tiny-qwen3-folder.ts'
import type { LoadedNode } from '../load-node.ts'
import { GatedBackend } from '../../test/support/node/gated-backend.ts'
import { postEmbed, textsBody } from '../../scripts/dev/signed-request.ts'
import { startTestNode } from '../../scripts/dev/node-in-process.ts'

let node: LoadedNode
let gate: GatedBackend
let cleanUp: () => Promise<void>

beforeAll(async () => {
  const folder = await tinyQwen3Folder()
  node = await startTestNode(
    folder.dir,
    { batching: { maxBatchRequests: 2, maxRequestTokens: 1000 } },
    { wrapBackends: (sessions) => sessions.map((session) => (gate = new GatedBackend(session))) },
  )
  cleanUp = async () => {
    await node.close()
    await folder.remove()
  }
})
afterAll(() => cleanUp())
afterEach(() => gate.open())

const embedFor = (tenant: string | undefined, texts: string[], extra: object = {}) =>
  postEmbed(node.app, { ...textsBody(node.manifest.id, texts), tenant, ...extra })

describe('the queue between tenants', () => {
  it("answers a tenant's single query while another tenant's large request is still running", async () => {
    const before = gate.batches.length
    gate.hold()
    const finished: string[] = []
    const big = embedFor(
      'tenant-a',
      Array.from({ length: 20 }, (_, i) => `fair: tenant a input ${i}`),
    ).then((response) => (finished.push('big'), response))
    await gate.reached(before + 1) // its first two inputs are running; eighteen wait
    const small = embedFor('tenant-b', ['fair: tenant b alone']).then(
      (response) => (finished.push('small'), response),
    )
    for (let i = 0; i < 500 && node.scheduler.queuedInputs !== 19; i++)
      await new Promise((resolve) => setTimeout(resolve, 10))
    gate.open()
    expect((await Promise.all([big, small])).map((r) => r.status)).toEqual([200, 200])
    expect(finished).toEqual(['small', 'big'])
    // The query ran early, beside one of the large request's inputs: 21 inputs in 11 pairs.
    // (Not in the second batch: that one was already waiting in the session's inbox.)
    expect(gate.batches.length - before).toBe(11)
  })

  it('keeps arrival order for requests of one tenant', async () => {
    const before = gate.batches.length
    gate.hold()
    const finished: string[] = []
    const first = embedFor('tenant-c', ['order: 1', 'order: 2', 'order: 3', 'order: 4']).then(
      (r) => (finished.push('first'), r),
    )
    await gate.reached(before + 1)
    const second = embedFor('tenant-c', ['order: 5']).then((r) => (finished.push('second'), r))
    for (let i = 0; i < 500 && node.scheduler.queuedInputs !== 3; i++)
      await new Promise((resolve) => setTimeout(resolve, 10))
    gate.open()
    await Promise.all([first, second])
    expect(finished).toEqual(['first', 'second'])
  })
})

describe('the node cache between tenants', () => {
  it('answers a repeat from its cache only within the same cache scope', async () => {
    const text = 'scoped: a text two tenants embed'
    const cacheOf = async (scope: string) =>
      (await embedFor(undefined, [text], { cache_scope: scope })).headers.get('x-node-cache')
    expect(await cacheOf('scope-a')).toBe('miss')
    expect(await cacheOf('scope-a')).toBe('hit')
    expect(await cacheOf('scope-b')).toBe('miss')
  })
})

describe('tokens per call', () => {
  it('refuses a call over MAX_REQUEST_TOKENS, or over its own max_tokens, before inference', async () => {
    const before = gate.batches.length
    const long = Array.from({ length: 3 }, (_, i) => `limit ${i}${' a'.repeat(400)}`)
    const overNode = await embedFor('tenant-d', long)
    expect(overNode.status).toBe(400)
    expect(await overNode.json()).toMatchObject({ error: { code: 'request_too_many_tokens' } })
    const overCall = await embedFor('tenant-d', ['limit: short but over its own'], {
      max_tokens: 3,
    })
    expect(overCall.status).toBe(400)
    expect(gate.batches.length).toBe(before)
  })
})
