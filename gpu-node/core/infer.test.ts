/**
 * Batching and admission through the whole node on a real model (tiny Qwen3):
 * a gate in front of the real session holds batches, so each test can look
 * at what is running, what is prepared and what is refused while the session
 * is busy, whatever the speed of the machine.
 */
import { serve, type ServerType } from '@hono/node-server'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { EMBED_PATH } from '../../shared/node-protocol.ts'
import { decodeFrame } from '../../shared/vector-codec.ts'
import { tinyQwen3Folder } from '../../test/support/tiny-qwen3-folder.ts'
import type { LoadedNode } from '../load-node.ts'
import { GatedBackend } from '../../test/support/node/gated-backend.ts'
import { postEmbed, signedInit, textsBody } from '../../scripts/dev/signed-request.ts'
import { startTestNode } from '../../scripts/dev/node-in-process.ts'

const MAX_CONCURRENT = 3
const MAX_QUEUED_TOKENS = 64

let node: LoadedNode
let gate: GatedBackend
let server: ServerType
let baseUrl: string
let cleanUp: () => Promise<void>

beforeAll(async () => {
  const folder = await tinyQwen3Folder()
  node = await startTestNode(
    folder.dir,
    {
      vectorCacheBytes: 0,
      batching: { maxConcurrentRequests: MAX_CONCURRENT, maxQueuedTokens: MAX_QUEUED_TOKENS },
    },
    { wrapBackends: (sessions) => sessions.map((session) => (gate = new GatedBackend(session))) },
  )
  server = serve({ fetch: node.app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise((resolve) => server.once('listening', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  cleanUp = async () => {
    await new Promise((resolve) => server.close(resolve))
    await node.close()
    await folder.remove()
  }
})
afterAll(() => cleanUp())
afterEach(() => gate.open())

/** About `words` tokens of Qwen3 text (" a" is one token), plus <|endoftext|>. */
const textOf = (words: number, tag: string) => `${tag}${' a'.repeat(words - 1)}`
const embed = (...texts: string[]) => postEmbed(node.app, textsBody(node.manifest.id, texts))

/**
 * Waits until the scheduler holds `inputs` waiting inputs. A condition, not a clock: the bound
 * is far past any machine's pace (tokenizing a few words under load), there only so that a
 * scheduler that never gets there fails the test rather than hanging it.
 */
async function untilQueued(inputs: number): Promise<void> {
  await vi.waitFor(() => expect(node.scheduler.queuedInputs).toBe(inputs), {
    timeout: 60_000,
    interval: 10,
  })
}

describe('batching', () => {
  it('runs a request at once on an idle session, and prepares the next batch while it runs', async () => {
    const before = gate.batches.length
    gate.hold()
    const first = embed('one ahead: first')
    await gate.reached(before + 1)
    const later = [embed('one ahead: second'), embed('one ahead: third')]
    await untilQueued(2)
    // Both late arrivals wait in the one prepared batch, none has reached the session.
    expect(gate.batches.length).toBe(before + 1)
    gate.open()
    expect((await Promise.all([first, ...later])).map((r) => r.status)).toEqual([200, 200, 200])
    expect(gate.batches.slice(before).map((batch) => batch.length)).toEqual([1, 2])
  })
})

describe('admission', () => {
  it(`answers 429 with Retry-After at once past ${MAX_CONCURRENT} requests in flight`, async () => {
    gate.hold()
    const admitted = [1, 2, 3].map((i) => embed(`concurrency ${i}`))
    await untilQueued(2)
    const refused = await embed('one too many')
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(await refused.json()).toMatchObject({
      error: { type: 'rate_limit_error', code: 'node_overloaded' },
    })
    gate.open()
    expect((await Promise.all(admitted)).map((r) => r.status)).toEqual([200, 200, 200])
  })

  it(`answers 429 when queued tokens would pass ${MAX_QUEUED_TOKENS}, but never to a lone request`, async () => {
    const before = gate.batches.length
    gate.hold()
    const running = embed(textOf(10, 'running'))
    await gate.reached(before + 1)
    const queued = embed(textOf(40, 'queued'))
    await untilQueued(1)
    const refused = await embed(textOf(40, 'over budget'))
    expect(refused.status).toBe(429)
    const small = embed(textOf(10, 'fits'))
    await untilQueued(2)
    gate.open()
    expect((await Promise.all([running, queued, small])).map((r) => r.status)).toEqual([
      200, 200, 200,
    ])
    // With nothing queued, a request larger than the whole budget still gets in.
    const lone = await embed(textOf(3 * MAX_QUEUED_TOKENS, 'lone'))
    expect(lone.status).toBe(200)
    expect(decodeFrame(await lone.arrayBuffer()).tokenCounts[0]).toBeGreaterThan(MAX_QUEUED_TOKENS)
  })

  it('drops a request whose client has gone before it reaches the session', async () => {
    const dropped = async () => (await node.metrics.requestDropped.get()).values[0]?.value ?? 0
    const droppedBefore = await dropped()
    const before = gate.batches.length
    gate.hold()
    const running = fetch(
      `${baseUrl}${EMBED_PATH}`,
      await signedInit(textsBody(node.manifest.id, ['client gone: running'])),
    )
    await gate.reached(before + 1)
    const client = new AbortController()
    const leaving = fetch(
      `${baseUrl}${EMBED_PATH}`,
      await signedInit(textsBody(node.manifest.id, ['client gone: leaving', 'and its twin']), {
        signal: client.signal,
      }),
    ).catch((err: Error) => err.name)
    await untilQueued(2)
    client.abort()
    expect(await leaving).toBe('AbortError')
    await untilQueued(0)
    gate.open()
    expect((await running).status).toBe(200)
    expect(gate.batches.length).toBe(before + 1)
    expect((await dropped()) - droppedBefore).toBe(2)
  })
})

describe('several sessions', () => {
  it('serves CPU_SESSIONS sessions round-robin: a second request runs beside the first', async () => {
    const folder = await tinyQwen3Folder()
    const gates: GatedBackend[] = []
    const twoSessions = await startTestNode(
      folder.dir,
      { vectorCacheBytes: 0, session: { cpuSessions: 2 } },
      {
        wrapBackends: (sessions) => sessions.map((s) => gates[gates.push(new GatedBackend(s)) - 1]),
      },
    )
    try {
      expect(twoSessions.sessions).toEqual(['cpu#0', 'cpu#1'])
      const warmed = gates.map((gate) => gate.batches.length)
      for (const gate of gates) gate.hold()
      const post = (text: string) =>
        postEmbed(twoSessions.app, textsBody(twoSessions.manifest.id, [text]))
      const first = post('round robin: first')
      await gates[0].reached(warmed[0] + 1)
      const second = post('round robin: second')
      // The second request does not wait for the first: the other session takes it.
      await gates[1].reached(warmed[1] + 1)
      for (const gate of gates) gate.open()
      expect((await Promise.all([first, second])).map((r) => r.status)).toEqual([200, 200])
    } finally {
      await twoSessions.close()
      await folder.remove()
    }
  })
})
