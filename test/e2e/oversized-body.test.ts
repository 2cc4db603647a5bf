/**
 * A body over MAX_BODY_BYTES (16 MiB), 30 MB as a user sent it, always gets the 413 and its JSON
 * (`request_too_large`). This holds with a declared length or streamed without one, with a valid
 * key or a wrong one, from Node's fetch (undici) or from curl, and afterwards the connection
 * serves the next request. Before edge/middleware/unread-body.ts read a refused body to its end
 * before answering, the clients saw other answers:
 * - wrangler dev answered the user's case (a valid key, a declared length, Node's fetch) with 503
 *   "Your worker restarted mid-request", or reset the connection;
 * - wrangler dev passed on a streamed body's 413 without its JSON;
 * - Miniflare reset a streamed body sent with a wrong key.
 *
 * Run against `npm start`'s wrangler dev (the e2e project's global setup) and against the worker
 * bundled as deployed, behind Miniflare's entry worker. The bundled edge needs no inference node.
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startBundledEdge, type BundledEdge } from '../../scripts/dev/bundled-edge.ts'
import { requestOnAgent } from '../support/socket-request.ts'

const BODY_BYTES = 30 * 1000 * 1000
const CHUNK = Buffer.alloc(1024 * 1024, 'x')
const WRONG_KEY = 'sk-not-a-key'
const TOO_LARGE = { status: 413, code: 'request_too_large' }
const curlInstalled = spawnSync('curl', ['--version']).status === 0

const bundledKey = `sk-oversized-${randomBytes(12).toString('hex')}`
let bundled: BundledEdge
let scratch: string
/** BODY_BYTES in a file, for curl's `--data-binary @file`. */
let bodyFile: string

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'oversized-body-'))
  bodyFile = path.join(scratch, 'body.json')
  await writeFile(bodyFile, Buffer.alloc(BODY_BYTES, 'x'))
  bundled = await startBundledEdge({
    // Never called: nothing below gets past the size limit.
    nodeUrls: ['http://127.0.0.1:9'],
    nodeSecret: 'unused-but-long-enough',
    tenants: [
      {
        id: 'oversized',
        apiKey: bundledKey,
        limits: { requests_per_minute: null, tokens_per_minute: null },
      },
    ],
  })
})
afterAll(async () => {
  await bundled?.stop()
  if (scratch) await rm(scratch, { recursive: true, force: true })
})

interface Target {
  name: string
  url: () => string
  key: () => string
}

const targets: Target[] = [
  { name: "npm start's wrangler dev", url: () => inject('edgeUrl'), key: () => inject('devKey') },
  {
    name: "the bundled edge behind Miniflare's entry worker",
    url: () => bundled.url,
    key: () => bundledKey,
  },
]

/** What a client saw: the status and the error code of the JSON body, or what went wrong. */
interface Outcome {
  status: number | string
  code?: string | null
}

function outcomeOf(status: number, text: string): Outcome {
  try {
    return { status, code: (JSON.parse(text) as { error: { code: string } }).error.code }
  } catch {
    return { status, code: `not the error JSON: ${JSON.stringify(text.slice(0, 80))}` }
  }
}

function streamedBody(): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream({
    pull(controller) {
      if (sent >= BODY_BYTES) return controller.close()
      const chunk = CHUNK.subarray(0, Math.min(CHUNK.length, BODY_BYTES - sent))
      controller.enqueue(chunk)
      sent += chunk.length
    },
  })
}

/** BODY_BYTES into `stream` as fast as it takes them, then its end. */
function writeBody(stream: Writable): void {
  let sent = 0
  const write = (): void => {
    while (sent < BODY_BYTES) {
      const chunk = CHUNK.subarray(0, Math.min(CHUNK.length, BODY_BYTES - sent))
      sent += chunk.length
      if (!stream.write(chunk)) return void stream.once('drain', write)
    }
    stream.end()
  }
  write()
}

async function viaFetch(url: string, key: string, streamed: boolean): Promise<Outcome> {
  try {
    const response = await fetch(`${url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: streamed ? streamedBody() : Buffer.alloc(BODY_BYTES, 'x'),
      duplex: 'half',
      signal: AbortSignal.timeout(30_000),
    })
    return outcomeOf(response.status, await response.text())
  } catch (err) {
    const { message, cause } = err as Error & { cause?: { code?: string; message?: string } }
    return { status: `error: ${message} (${cause?.code ?? cause?.message})` }
  }
}

/** curl as a user runs it: the body from a file (a declared length) or piped in, chunked. */
function viaCurl(url: string, key: string, streamed: boolean): Promise<Outcome> {
  const args = [
    '-sS',
    '--max-time',
    '30',
    '-w',
    '\n%{http_code}',
    `${url}/v1/embeddings`,
    '-H',
    `Authorization: Bearer ${key}`,
    '-H',
    'Content-Type: application/json',
    ...(streamed
      ? ['-H', 'Transfer-Encoding: chunked', '--data-binary', '@-']
      : ['--data-binary', `@${bodyFile}`]),
  ]
  return new Promise((resolve) => {
    const curl = spawn('curl', args, { stdio: 'pipe' })
    let stdout = ''
    let stderr = ''
    curl.stdout.on('data', (chunk) => (stdout += chunk))
    curl.stderr.on('data', (chunk) => (stderr += chunk))
    // curl may stop reading once it has an answer; what it did not take is no failure here.
    curl.stdin.on('error', () => {})
    if (streamed) writeBody(curl.stdin)
    else curl.stdin.end()
    curl.on('close', (exitCode) => {
      const cut = stdout.lastIndexOf('\n')
      const status = Number(stdout.slice(cut + 1))
      resolve(
        exitCode === 0
          ? outcomeOf(status, stdout.slice(0, cut))
          : { status: `curl exited ${exitCode}: ${stderr.trim()}` },
      )
    })
  })
}

async function health(url: string): Promise<number | string> {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(20_000) })).status
  } catch (err) {
    return `error: ${(err as Error).message}`
  }
}

/** Each case's outcome by name, then the status of a request sent right after it. */
async function sendAll(
  send: (url: string, key: string, streamed: boolean) => Promise<Outcome>,
  target: Target,
): Promise<Record<string, Outcome & { next: number | string }>> {
  const outcomes: Record<string, Outcome & { next: number | string }> = {}
  for (const [keyName, key] of [
    ['valid key', target.key()],
    ['wrong key', WRONG_KEY],
  ])
    for (const streamed of [false, true]) {
      const outcome = await send(target.url(), key, streamed)
      const name = `${streamed ? 'streamed' : 'declared length'}, ${keyName}`
      outcomes[name] = { ...outcome, next: await health(target.url()) }
    }
  return outcomes
}

function allTooLarge(outcomes: Record<string, unknown>) {
  return Object.fromEntries(
    Object.keys(outcomes).map((name) => [name, { ...TOO_LARGE, next: 200 }]),
  )
}

/** A 30 MB body on a kept-alive connection (one socket), then a GET on the same connection. */
function postThenGet(url: string, key: string, streamed: boolean): Promise<unknown[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const send = (method: 'POST' | 'GET', pathname: string) =>
    requestOnAgent(
      agent,
      new URL(pathname, url),
      {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(method === 'POST' && !streamed ? { 'content-length': BODY_BYTES } : {}),
        },
        timeoutMs: 30_000,
      },
      method === 'GET' ? undefined : writeBody,
    )
  return (async () => {
    try {
      return [await send('POST', '/v1/embeddings'), await send('GET', '/health')]
    } finally {
      agent.destroy()
    }
  })()
}

describe.each(targets)('a 30 MB body sent to $name', (target) => {
  it("gets the 413 and its JSON from Node's fetch, and the next request is answered", async () => {
    const outcomes = await sendAll(viaFetch, target)
    expect(outcomes).toEqual(allTooLarge(outcomes))
  })

  it.skipIf(!curlInstalled)('gets the 413 and its JSON from curl', async () => {
    const outcomes = await sendAll(viaCurl, target)
    expect(outcomes).toEqual(allTooLarge(outcomes))
  })

  it('leaves its kept-alive connection serving the next request', async () => {
    for (const streamed of [false, true])
      expect(await postThenGet(target.url(), target.key(), streamed)).toEqual([
        { status: 413, reusedSocket: false },
        { status: 200, reusedSocket: true },
      ])
  })
})

describe("npm start's wrangler dev", () => {
  it('still reads and answers a streamed body under the limit', async () => {
    const body = JSON.stringify({ model: 'use-lite-en', input: ['x'.repeat(1_000_000), 'hello'] })
    const response = await fetch(`${inject('edgeUrl')}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${inject('devKey')}`, 'content-type': 'application/json' },
      body: new Blob([body]).stream(),
      duplex: 'half',
    })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { data: unknown[] }).data).toHaveLength(2)
  })
})
