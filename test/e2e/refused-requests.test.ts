/**
 * POSTs refused before their body is read (a wrong key, an unknown route, a body that is not
 * JSON, a spent request budget), on a kept-alive connection as HTTP clients keep them: the
 * connection must stay usable. Under Miniflare, answering without reading the body made workerd
 * drop the connection, so the client's next request on it failed with "socket hang up"
 * (edge/middleware/unread-body.ts). Run against the worker bundled as deployed, behind
 * Miniflare's front door; no inference node is needed.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBundledEdge, type BundledEdge } from '../../scripts/dev/bundled-edge.ts'
import { requestOnAgent, type SocketOutcome } from '../support/socket-request.ts'

const apiKey = `sk-refusals-${randomBytes(12).toString('hex')}`
const oneRequestKey = `sk-refusals-rpm-${randomBytes(12).toString('hex')}`
let edge: BundledEdge
const agents: http.Agent[] = []

beforeAll(async () => {
  edge = await startBundledEdge({
    // Never called: nothing below reaches a node.
    nodeUrls: ['http://127.0.0.1:9'],
    nodeSecret: 'unused-but-long-enough',
    tenants: [
      { id: 'refusals', apiKey, limits: { requests_per_minute: null, tokens_per_minute: null } },
      {
        id: 'refusals-rpm',
        apiKey: oneRequestKey,
        limits: { requests_per_minute: 1, tokens_per_minute: null },
      },
    ],
    // An hour (where the edge reads RATE_WINDOW_MS): no rate window closes while a test runs.
    vars: { RATE_WINDOW_MS: String(60 * 60_000) },
  })
})
afterAll(async () => {
  for (const agent of agents) agent.destroy()
  await edge?.stop()
})

/** An agent of one socket, kept alive: every request on it is meant to use the same connection. */
function oneConnection(): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  agents.push(agent)
  return agent
}

type Outcome = SocketOutcome

function send(
  agent: http.Agent,
  method: 'GET' | 'POST',
  path: string,
  key: string,
  contentType = 'application/json',
): Promise<Outcome> {
  const body = JSON.stringify({ model: 'use-lite-en', input: 'refused before it was read' })
  const headers = {
    authorization: `Bearer ${key}`,
    ...(method === 'POST'
      ? { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }
      : {}),
  }
  return requestOnAgent(
    agent,
    new URL(path, edge.url),
    { method, headers, timeoutMs: 20_000, keepBody: true },
    (request) => request.end(method === 'POST' ? body : undefined),
  )
}

const errorOf = (outcome: Outcome) => JSON.parse(outcome.body ?? '').error

describe('refused requests on a kept-alive connection', () => {
  it('answers a wrong key and an unknown route, and the connection serves the next request', async () => {
    const agent = oneConnection()
    const outcomes: Outcome[] = []
    for (let round = 0; round < 3; round++) {
      outcomes.push(await send(agent, 'POST', '/v1/embeddings', 'sk-not-a-key'))
      outcomes.push(await send(agent, 'POST', '/no-such-route', apiKey))
      outcomes.push(await send(agent, 'GET', '/health', apiKey))
    }
    expect(outcomes.map((o) => o.status)).toEqual([401, 404, 200, 401, 404, 200, 401, 404, 200])
    // Every request after the first on the one connection: had workerd closed it, the agent
    // would have opened another.
    expect(outcomes.slice(1).every((o) => o.reusedSocket)).toBe(true)
  })

  it('answers a body that is not JSON with 415, and the connection serves the next request', async () => {
    const agent = oneConnection()
    const outcomes: Outcome[] = []
    for (let round = 0; round < 3; round++) {
      outcomes.push(await send(agent, 'POST', '/v1/embeddings', apiKey, 'text/plain'))
      outcomes.push(await send(agent, 'GET', '/health', apiKey))
    }
    expect(outcomes.map((o) => o.status)).toEqual([415, 200, 415, 200, 415, 200])
    for (const refused of outcomes.filter((o) => o.status === 415)) {
      expect(errorOf(refused)).toEqual({
        message: "send the body as JSON with 'Content-Type: application/json' (got 'text/plain')",
        type: 'invalid_request_error',
        param: null,
        code: 'unsupported_media_type',
      })
    }
    expect(outcomes.slice(1).every((o) => o.reusedSocket)).toBe(true)
  })

  it('answers a spent request budget with 429, and the connection serves the next request', async () => {
    const agent = oneConnection()
    // Admitted, so it spends the tenant's one request of the window, and refused by the route
    // before any node is called.
    const spending = await send(agent, 'POST', '/v1/embeddings', oneRequestKey, 'text/plain')
    expect(spending.status).toBe(415)
    const outcomes: Outcome[] = []
    for (let round = 0; round < 3; round++) {
      outcomes.push(await send(agent, 'POST', '/v1/embeddings', oneRequestKey))
      outcomes.push(await send(agent, 'GET', '/health', oneRequestKey))
    }
    expect(outcomes.map((o) => o.status)).toEqual([429, 200, 429, 200, 429, 200])
    for (const refused of outcomes.filter((o) => o.status === 429)) {
      const error = errorOf(refused)
      expect(error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' })
      expect(error.message).toContain(
        "Rate limit reached for requests per minute (RPM) of tenant 'refusals-rpm': limit 1.",
      )
    }
    expect(outcomes.every((o) => o.reusedSocket)).toBe(true)
  })
})
