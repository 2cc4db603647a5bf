/**
 * The node as an operator runs it (gpu-node/main.ts in its own process):
 * SIGTERM while a request is in flight stops new work, says so on /ready,
 * answers that request in full, and exits 0.
 */
import { once } from 'node:events'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMBED_PATH } from '../shared/node-protocol.ts'
import { fetchSigned } from '../shared/signed-calls.ts'
import { decodeFrame } from '../shared/vector-codec.ts'
import { startInferenceNode, type RunningNode } from '../test/support/inference-node-process.ts'
import { tinyQwen3Folder } from '../test/support/tiny-qwen3-folder.ts'
import { signedInit, textsBody } from './testing/signed-request.ts'
import { TEST_SECRET } from './testing/test-node.ts'

let node: RunningNode
let removeFolder: () => Promise<void>

beforeAll(async () => {
  const folder = await tinyQwen3Folder()
  removeFolder = folder.remove
  // One input per batch, so a request of many inputs stays in flight for a while.
  node = await startInferenceNode({
    modelDir: folder.dir,
    secret: TEST_SECRET,
    env: { EXECUTION_PROVIDERS: 'cpu', MAX_BATCH_TOKENS: '256', TOKENIZATION_WORKERS: '1' },
  })
})
afterAll(async () => {
  await node.stop()
  await removeFolder()
})

async function metric(name: string): Promise<number> {
  const text = await (await fetchSigned(node.url, '/metrics', TEST_SECRET)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return Number(line?.split(' ')[1] ?? NaN)
}

/**
 * A GET whose request line is sent now and whose end is sent by `finish()`. A connection in the
 * middle of a request is not idle, so shutdown leaves it open: the one way to ask a draining
 * node something, since it takes no new connections.
 */
async function begunGet(path: string) {
  const { hostname, port } = new URL(node.url)
  const socket = connect(Number(port), hostname)
  await once(socket, 'connect')
  socket.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\n`)
  return {
    async finish(): Promise<{ status: number; text: string }> {
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
      await answered
      socket.destroy()
      return { status: Number(text.split(' ')[1]), text }
    },
  }
}

/** Polls `check` every few ms until it holds; bounded only so that a broken node ends the test. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check()) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 5))
}

describe('graceful shutdown', () => {
  it('on SIGTERM stops taking work, says so on /ready, finishes the request in flight, and exits 0', async () => {
    // Begun before the shutdown, finished during it: the node reads its first line long before.
    const readyDuringDrain = await begunGet('/ready')
    const texts = Array.from({ length: 400 }, (_, i) => `${i}: ${'still in flight '.repeat(40)}`)
    const inFlight = fetch(
      `${node.url}${EMBED_PATH}`,
      await signedInit(textsBody('qwen3-tiny', texts)),
    )
    for (let i = 0; i < 1000 && (await metric('te_request_in_flight')) < 1; i++)
      await new Promise((resolve) => setTimeout(resolve, 5))

    node.process.kill('SIGTERM')
    // The node logs this line and marks itself draining in one step.
    await until(() => node.output().includes('SIGTERM: finishing'))
    const ready = await readyDuringDrain.finish()
    expect(ready.status, ready.text).toBe(503)
    expect(ready.text).toContain('"status":"shutting down"')
    const answer = await inFlight
    expect(answer.status).toBe(200)
    const frame = decodeFrame(await answer.arrayBuffer())
    expect(frame.vectors).toHaveLength(texts.length)
    for (const vector of frame.vectors) expect(Math.hypot(...vector)).toBeCloseTo(1, 5)

    // No new work once shutdown has begun: refused outright, or 503 on a connection still open.
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
