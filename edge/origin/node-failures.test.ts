import { inject } from 'vitest'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_MODEL,
  postEmbeddings,
  seedTenant,
  type EmbeddingsBody,
} from '../../test/support/edge-harness.ts'
import { resetIsolateMemory } from '../isolate/isolate-memory.ts'

const key = 'sk-test-failures-0001'
const dead = { NODE_URL: inject('deadNodeUrl') }
const stalling = { NODE_URL: inject('stallingNodeUrl'), NODE_TIMEOUT_MS: '500' }

beforeAll(async () => {
  await seedTenant({ id: 'failures-tenant' }, key)
})

async function status(body: Record<string, unknown>, overrides = {}) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, ...body }, { key, overrides })
  return {
    response,
    json: (await response.json()) as EmbeddingsBody & {
      error: { type: string; code: string; message: string }
    },
  }
}

describe('when the inference node fails', () => {
  it('answers 503 for inputs that need inference when the node is down', async () => {
    await status({ input: 'failures: warm the catalog' })
    const { response, json } = await status({ input: 'failures: never seen' }, dead)
    expect(response.status).toBe(503)
    expect(json.error.code).toBe('origin_unavailable')
  })

  it('keeps serving cached inputs while the node is down, even in a fresh isolate', async () => {
    const healthy = await status({ input: 'failures: cached before the outage' })
    expect(healthy.response.status).toBe(200)
    resetIsolateMemory() // as a new isolate starts: only KV knows the models now
    const { response, json } = await status({ input: 'failures: cached before the outage' }, dead)
    expect(response.status).toBe(200)
    expect(response.headers.get('x-cache')).toBe('hit')
    expect(json.data[0].embedding).toEqual(healthy.json.data[0].embedding)
  })

  it('answers 504 when the node does not answer in time', async () => {
    await status({ input: 'failures: warm the catalog again' })
    const { response, json } = await status({ input: 'failures: slow' }, stalling)
    expect(response.status).toBe(504)
    expect(json.error.code).toBe('origin_timeout')
  })

  it('answers 503 (not a crash) when edge and node secrets disagree', async () => {
    const { response, json } = await status(
      { input: 'failures: wrong secret' },
      { NODE_SECRET: 'not-the-node-secret-at-all' },
    )
    expect(response.status).toBe(503)
    expect(json.error.code).toBe('origin_misconfigured')
  })

  it('recovers as soon as the node is reachable again', async () => {
    expect((await status({ input: 'failures: back again' }, dead)).response.status).toBe(503)
    expect((await status({ input: 'failures: back again' })).response.status).toBe(200)
  })

  it('refuses plain http to a node on another machine unless ALLOW_INSECURE_NODE_URLS=1', async () => {
    await status({ input: 'failures: warm the catalog for the https check' })
    // 192.0.2.0/24 is reserved for documentation: nothing answers there.
    const remote = { NODE_URL: 'http://192.0.2.1:8081', NODE_TIMEOUT_MS: '300' }
    const refused = await status({ input: 'failures: plain http' }, remote)
    expect(refused.response.status).toBe(503)
    expect(refused.json.error.code).toBe('edge_misconfigured')
    expect(refused.json.error.message).toContain('ALLOW_INSECURE_NODE_URLS=1')
    for (const allowed of [
      { ...remote, ALLOW_INSECURE_NODE_URLS: '1' },
      { ...remote, NODE_URL: 'https://192.0.2.1:8443' },
    ]) {
      const tried = await status({ input: 'failures: plain http' }, allowed)
      expect(tried.json.error.code).not.toBe('edge_misconfigured')
    }
  })
})
