/**
 * POSTs refused before their body is read (a wrong key, an unknown route), on a kept-alive
 * connection as HTTP clients keep them: the connection must stay usable. Under Miniflare,
 * answering without reading the body made workerd drop the connection, so the client's next
 * request on it failed with "socket hang up" (edge/middleware/unread-body.ts). Run against
 * the worker bundled as deployed, behind Miniflare's front door; no inference node is needed.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBundledEdge, type BundledEdge } from '../support/bundled-edge.ts'
import { requestOnAgent, type SocketOutcome } from '../support/socket-request.ts'

const apiKey = `sk-refusals-${randomBytes(12).toString('hex')}`
let edge: BundledEdge
// One socket, kept alive: every request below is meant to travel on the same connection.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

beforeAll(async () => {
  edge = await startBundledEdge({
    // Never called: nothing below reaches a node.
    nodeUrls: ['http://127.0.0.1:9'],
    nodeSecret: 'unused',
    tenants: [
      { id: 'refusals', apiKey, limits: { requests_per_minute: null, tokens_per_minute: null } },
    ],
  })
})
afterAll(async () => {
  agent.destroy()
  await edge?.stop()
})

type Outcome = SocketOutcome

function send(method: 'GET' | 'POST', path: string, key: string): Promise<Outcome> {
  const body = JSON.stringify({ model: 'use-lite-en', input: 'refused before it was read' })
  const headers = {
    authorization: `Bearer ${key}`,
    ...(method === 'POST'
      ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
      : {}),
  }
  return requestOnAgent(
    agent,
    new URL(path, edge.url),
    { method, headers, timeoutMs: 20_000 },
    (request) => request.end(method === 'POST' ? body : undefined),
  )
}

describe('refused requests on a kept-alive connection', () => {
  it('answers a wrong key and an unknown route, and the connection serves the next request', async () => {
    const outcomes: Outcome[] = []
    for (let round = 0; round < 3; round++) {
      outcomes.push(await send('POST', '/v1/embeddings', 'sk-not-a-key'))
      outcomes.push(await send('POST', '/no-such-route', apiKey))
      outcomes.push(await send('GET', '/health', apiKey))
    }
    expect(outcomes.map((o) => o.status)).toEqual([401, 404, 200, 401, 404, 200, 401, 404, 200])
    // Every request after the first on the one connection: had workerd closed it, the agent
    // would have opened another.
    expect(outcomes.slice(1).every((o) => o.reusedSocket)).toBe(true)
  })
})
