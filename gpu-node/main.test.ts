/**
 * The node as an operator runs it (gpu-node/main.ts in its own process):
 * SIGTERM while a request is in flight stops new work, says so on /ready,
 * answers that request in full, and exits 0; past SHUTDOWN_TIMEOUT_MS it
 * cuts off what is still running and exits 1.
 */
import { once } from 'node:events'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMBED_PATH } from '../shared/node-protocol.ts'
import { fetchSigned } from '../edge/origin/signed-calls.ts'
import { decodeFrame } from '../shared/vector-codec.ts'
import { startInferenceNode, type RunningNode } from '../scripts/dev/inference-node-process.ts'
import { tinyQwen3Folder } from '../test/support/tiny-qwen3-folder.ts'
import { signedInit, textsBody } from '../scripts/dev/signed-request.ts'
import { TEST_SECRET } from '../scripts/dev/node-in-process.ts'

let folder: Awaited<ReturnType<typeof tinyQwen3Folder>>

beforeAll(async () => {
  folder = await tinyQwen3Folder()
})
afterAll(async () => {
  await folder.remove()
})

/** A node of the tiny model on the CPU: one input per batch, so many inputs take a while. */
function startNode(env: Record<string, string> = {}): Promise<RunningNode> {
  return startInferenceNode({
    modelDir: folder.dir,
    secret: TEST_SECRET,
    env: {
      EXECUTION_PROVIDERS: 'cpu',
      MAX_BATCH_TOKENS: '256',
      TOKENIZATION_WORKERS: '1',
      ...env,
    },
  })
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetchSigned(url, '/metrics', TEST_SECRET)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return Number(line?.split(' ')[1] ?? NaN)
}

const inputs = (count: number) =>
  Array.from({ length: count }, (_, i) => `${i}: ${'still in flight '.repeat(40)}`)

/**
 * A request whose head is sent now, all but the blank line that ends it, and whose end (that
 * line and the body) is sent by `finish()`. A connection in the middle of a request is not idle,
 * so shutdown leaves it open: the one way to ask a draining node something, since it takes no
 * new connections.
 */
async function begunRequest(
  url: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: Uint8Array } = {},
) {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  await once(socket, 'connect')
  const headers: Record<string, string> = { host: hostname, ...init.headers }
  if (init.body) headers['content-length'] = String(init.body.byteLength)
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
  socket.write(`${init.method ?? 'GET'} ${path} HTTP/1.1\r\n${head.join('')}`)
  return {
    async finish(): Promise<{ status: number; headers: Map<string, string>; text: string }> {
      let text = ''
      const answered = new Promise<void>((resolve, reject) => {
        socket.on('data', (chunk) => {
          text += chunk
          if (/\r\n\r\n[^]*\}/.test(text)) resolve()
        })
        socket.on('close', () => resolve())
        socket.on('error', reject)
      })
      socket.write('\r\n')
      if (init.body) socket.write(init.body)
      await answered
      socket.destroy()
      const lines = text.split('\r\n\r\n')[0].split('\r\n').slice(1)
      const headers = new Map(
        lines.map((line) => {
          const colon = line.indexOf(':')
          return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as const
        }),
      )
      return { status: Number(text.split(' ')[1]), headers, text }
    },
  }
}

/** A signed embed request begun now and finished by `finish()` (see begunRequest). */
async function begunEmbed(url: string, texts: string[]) {
  const init = await signedInit(textsBody('qwen3-tiny', texts))
  return begunRequest(url, EMBED_PATH, {
    method: 'POST',
    headers: init.headers as Record<string, string>,
    body: init.body as Uint8Array,
  })
}

/** Polls `check` every few ms until it holds; bounded only so that a broken node ends the test. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check()) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 5))
}

describe('graceful shutdown', () => {
  let node: RunningNode
  beforeAll(async () => {
    node = await startNode()
  })
  afterAll(() => node.stop())

  it('on SIGTERM stops taking work (503, connection: close), says so on /ready, finishes the request in flight, and exits 0', async () => {
    // Begun before the shutdown, finished during it: the node reads their heads long before.
    const readyDuringDrain = await begunRequest(node.url, '/ready')
    const embedDuringDrain = await begunEmbed(node.url, ['sent on an open connection'])
    // Long enough that the two begun requests are answered while it still runs, on a busy machine.
    const texts = inputs(1600)
    const inFlight = fetch(
      `${node.url}${EMBED_PATH}`,
      await signedInit(textsBody('qwen3-tiny', texts)),
    )
    await until(async () => (await metric(node.url, 'te_request_in_flight')) >= 1)

    node.process.kill('SIGTERM')
    // The node logs this line and marks itself draining in one step.
    await until(() => node.output().includes('SIGTERM: finishing'))
    const ready = await readyDuringDrain.finish()
    expect(ready.status, ready.text).toBe(503)
    expect(ready.text).toContain('"status":"shutting down"')
    // New work on a connection already open is refused, and the client told to go elsewhere.
    const refused = await embedDuringDrain.finish()
    expect(refused.status, refused.text).toBe(503)
    expect(refused.text).toContain('"code":"node_shutting_down"')
    expect(refused.headers.get('connection')).toBe('close')
    const answer = await inFlight
    expect(answer.status).toBe(200)
    // Its connection is not kept for another request either.
    expect(answer.headers.get('connection')).toBe('close')
    const frame = decodeFrame(await answer.arrayBuffer())
    expect(frame.vectors).toHaveLength(texts.length)
    for (const vector of frame.vectors) expect(Math.hypot(...vector)).toBeCloseTo(1, 5)

    // No new connections once shutdown has begun: refused outright, or 503 if one slipped in.
    const late = await fetch(`${node.url}/ready`).then(
      (response) => response.status,
      () => 'refused',
    )
    expect([503, 'refused']).toContain(late)
    expect(await node.exited).toEqual({ code: 0, signal: null })
    expect(node.output()).toContain('SIGTERM: finishing 1 request(s) in flight')
    expect(node.output()).toContain('all requests answered; exiting')
  })
})

describe('shutdown past SHUTDOWN_TIMEOUT_MS', () => {
  let node: RunningNode
  beforeAll(async () => {
    // The request below takes many seconds (15 s here: 8000 inputs, one a batch, on one
    // thread) against a timeout of 200 ms: far apart on any machine this runs on.
    node = await startNode({
      SHUTDOWN_TIMEOUT_MS: '200',
      INTRA_OP_THREADS: '1',
      MAX_INPUTS_PER_REQUEST: '8000',
      MAX_REQUEST_TOKENS: '10000000',
    })
  })
  afterAll(() => node.stop())

  it('cuts off the requests still in flight, says so, and exits 1', async () => {
    const inFlight = fetch(
      `${node.url}${EMBED_PATH}`,
      await signedInit(textsBody('qwen3-tiny', inputs(8000))),
    ).then(
      (response) => response.status,
      () => 'cut off',
    )
    await until(async () => (await metric(node.url, 'te_request_in_flight')) >= 1)

    node.process.kill('SIGTERM')
    expect(await node.exited).toEqual({ code: 1, signal: null })
    expect(await inFlight).toBe('cut off')
    expect(node.output()).toContain('SIGTERM: finishing 1 request(s) in flight')
    expect(node.output()).toContain('requests still in flight after 200 ms; exiting')
  })
})
