/**
 * The node's HTTP surface on a real model (the generated tiny Qwen3): signed
 * requests only, binary frames out with timing headers, probes, metrics.
 */
import { serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMBED_PATH, FRAME_CONTENT_TYPE, type NodeInfo } from '../../shared/node-protocol.ts'
import {
  RESPONSE_SIGNATURE_HEADER,
  SIGNATURE_HEADER,
  bodyDigest,
  macOf,
  signRequest,
  verifyResponse,
} from '../../shared/signing.ts'
import { signEmbed } from '../../edge/origin/signed-calls.ts'
import { decodeFrame } from '../../shared/vector-codec.ts'
import { tinyQwen3Folder } from '../../test/support/tiny-qwen3-folder.ts'
import { loadNode, type LoadedNode } from '../load-node.ts'
import { GatedBackend } from '../../test/support/node/gated-backend.ts'
import { postEmbed, signedGet, signedInit, textsBody } from '../../scripts/dev/signed-request.ts'
import {
  TEST_SCRAPE_TOKEN,
  TEST_SECRET,
  startTestNode,
  testSettings,
} from '../../scripts/dev/node-in-process.ts'

let node: LoadedNode
let cleanUp: () => Promise<void>

beforeAll(async () => {
  const folder = await tinyQwen3Folder()
  node = await startTestNode(folder.dir, { maxInputsPerRequest: 16, maxBodyBytes: 64 * 1024 })
  cleanUp = async () => {
    await node.close()
    await folder.remove()
  }
})
afterAll(() => cleanUp())

const texts = (...items: string[]) => textsBody(node.manifest.id, items)
const embed = (body: unknown) => postEmbed(node.app, body)

describe('POST /internal/embed', () => {
  it('answers a signed request with unit-length full vectors and token counts', async () => {
    const response = await embed(texts('hello world', 'a second, somewhat longer input text'))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe(FRAME_CONTENT_TYPE)
    const frame = decodeFrame(await response.arrayBuffer())
    expect(frame.vectors).toHaveLength(2)
    for (const vector of frame.vectors) expect(Math.hypot(...vector)).toBeCloseTo(1, 5)
    expect(frame.tokenCounts[0]).toBeLessThan(frame.tokenCounts[1])
  })

  it('says where the time went, as TEI does, and how many tokens it computed', async () => {
    const response = await embed(texts('timing headers, please'))
    // Present, and milliseconds as numbers: a missing header reads as Number(null), which is 0.
    const ms = (name: string) => {
      const value = response.headers.get(name)
      expect(value, name).toMatch(/^\d+(\.\d+)?$/)
      return Number(value)
    }
    const total = ms('x-total-time')
    for (const part of ['x-tokenization-time', 'x-queue-time', 'x-inference-time'])
      expect(ms(part), part).toBeLessThanOrEqual(total)
    expect(ms('x-inference-time')).toBeGreaterThan(0)
    const frame = decodeFrame(await response.arrayBuffer())
    expect(Number(response.headers.get('x-compute-tokens'))).toBe(frame.tokenCounts[0])
  })

  it('refuses unsigned, wrongly signed and stale requests with 401', async () => {
    const body = texts('hello')
    const unsigned = await node.app.request(EMBED_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(unsigned.status).toBe(401)
    const wrongSecret = await signedInit(body, { secret: 'some-other-secret-value' })
    expect((await node.app.request(EMBED_PATH, wrongSecret)).status).toBe(401)
    const stale = await signedInit(body, { timestampMs: Date.now() - 5 * 60_000 })
    expect((await node.app.request(EMBED_PATH, stale)).status).toBe(401)
    // A signature over other bytes does not carry over to this body.
    const other = new TextEncoder().encode(JSON.stringify(texts('other')))
    const swapped = await node.app.request(EMBED_PATH, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: await signEmbed(TEST_SECRET, other),
      },
      body: JSON.stringify(body),
    })
    expect(swapped.status).toBe(401)
  })

  it('refuses a replay of a request it accepted, and a signature made for another path', async () => {
    const init = await signedInit(texts('sent twice'))
    expect((await node.app.request(EMBED_PATH, init)).status).toBe(200)
    const replay = await node.app.request(EMBED_PATH, init)
    expect(replay.status).toBe(401)
    expect(await replay.text()).toContain('replayed signature')
    const forMonitor = await signRequest(TEST_SECRET, {
      method: 'POST',
      path: '/monitor',
      digest: await bodyDigest(init.body as Uint8Array),
    })
    const moved = await node.app.request(EMBED_PATH, {
      ...init,
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: forMonitor },
    })
    expect(moved.status).toBe(401)
  })

  it('refuses a bad signature before reading the body', async () => {
    // A body that never ends: a node that read it before checking the header would never answer.
    const endless = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new Uint8Array(1024)),
    })
    for (const header of [undefined, 't=1,n=00,v2=00', await stale()]) {
      const response = await node.app.request(EMBED_PATH, {
        method: 'POST',
        headers: header ? { [SIGNATURE_HEADER]: header } : {},
        body: endless,
        duplex: 'half',
      })
      expect(response.status).toBe(401)
    }
    async function stale() {
      const call = { method: 'POST', path: EMBED_PATH, digest: await bodyDigest() }
      return signRequest(TEST_SECRET, call, { timestampMs: Date.now() - 10 * 60_000 })
    }
  })

  it('signs its answer over the request, the revision, the drift state and the frame', async () => {
    const init = await signedInit(texts('a signed answer'))
    const response = await node.app.request(EMBED_PATH, init)
    const bytes = new Uint8Array(await response.arrayBuffer())
    const header = (init.headers as Record<string, string>)[SIGNATURE_HEADER]
    const answer = {
      requestMac: macOf(header),
      status: 200,
      revision: response.headers.get('x-model-revision')!,
      vectors: response.headers.get('x-vectors')!,
      digest: await bodyDigest(bytes),
    }
    const signature = response.headers.get(RESPONSE_SIGNATURE_HEADER)
    expect(await verifyResponse(TEST_SECRET, signature, answer)).toBe(true)
    bytes[bytes.length - 1] ^= 1
    const flipped = { ...answer, digest: await bodyDigest(bytes) }
    expect(await verifyResponse(TEST_SECRET, signature, flipped)).toBe(false)
  })

  it('reports token-id input lengths exactly and refuses ids outside the vocabulary', async () => {
    const ok = await embed({
      model: node.manifest.id,
      inputs: [{ ids: [9707, 1879] }],
      truncate: true,
    })
    expect(decodeFrame(await ok.arrayBuffer()).tokenCounts).toEqual([3]) // + <|endoftext|>
    const bad = await embed({
      model: node.manifest.id,
      inputs: [{ ids: [10_000_000] }],
      truncate: true,
    })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({
      error: { param: 'input[0]', code: 'invalid_token_id' },
    })
  })

  it('answers 400, 404, 413 and 422 in the OpenAI shape', async () => {
    const responses = [
      await embed({ model: node.manifest.id, inputs: [], truncate: true }),
      await embed({ ...texts('x'), model: 'other' }),
      await embed(texts('x'.repeat(70 * 1024))),
      await embed({ ...texts('fine', 'word '.repeat(10_000)), truncate: false }),
    ]
    expect(responses.map((r) => r.status)).toEqual([400, 404, 413, 422])
    for (const response of responses) {
      const body = (await response.json()) as { error: { message: string; type: string } }
      expect(typeof body.error.message).toBe('string')
      expect(typeof body.error.type).toBe('string')
    }
  })

  it('answers a repeated input from the node-local cache with the same vector', async () => {
    const first = await embed(texts('cache me once', 'and me'))
    const second = await embed(texts('cache me once'))
    expect(first.headers.get('x-node-cache')).toBe('miss')
    expect(second.headers.get('x-node-cache')).toBe('hit')
    const a = decodeFrame(await first.arrayBuffer())
    const b = decodeFrame(await second.arrayBuffer())
    expect(Array.from(b.vectors[0])).toEqual(Array.from(a.vectors[0]))
    expect(b.tokenCounts[0]).toBe(a.tokenCounts[0])
    const mixed = await embed(texts('cache me once', 'something new'))
    expect(mixed.headers.get('x-node-cache')).toBe('partial')
  })
})

describe('over a real socket', () => {
  /** POSTs `bytes` as a chunked stream (no content-length), signed, to a served copy of the app. */
  async function postStreamed(bytes: Uint8Array): Promise<Response> {
    const server = serve({ fetch: node.app.fetch, hostname: '127.0.0.1', port: 0 })
    await new Promise((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    try {
      const chunks = [bytes.subarray(0, 100), bytes.subarray(100)]
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift()
          if (next) controller.enqueue(next)
          else controller.close()
        },
      })
      return await fetch(`http://127.0.0.1:${port}${EMBED_PATH}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: await signEmbed(TEST_SECRET, bytes),
        },
        body,
        duplex: 'half',
      })
    } finally {
      server.close()
    }
  }

  it('reads a streamed body, and refuses one past the body limit with 413', async () => {
    const encode = (body: unknown) => new TextEncoder().encode(JSON.stringify(body))
    const fits = await postStreamed(encode(texts('streamed in two chunks')))
    expect(fits.status).toBe(200)
    expect(decodeFrame(await fits.arrayBuffer()).vectors).toHaveLength(1)
    const tooBig = await postStreamed(encode(texts('x'.repeat(70 * 1024))))
    expect(tooBig.status).toBe(413)
  })
})

describe('probes and metrics', () => {
  it('/info says what is served and on which provider', async () => {
    const info = (await (await signedGet(node.app, '/info')).json()) as NodeInfo
    expect(info.models[0]).toMatchObject({
      id: node.manifest.id,
      dimensions: 64,
      matryoshka: true,
      instruction_format: 'qwen3',
    })
    expect(info.execution_provider).toBe('cpu')
  })

  it('/info, /metrics and /monitor answer only a signed GET or the scrape token', async () => {
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })
    for (const path of ['/info', '/metrics', '/monitor']) {
      expect((await node.app.request(path)).status, path).toBe(401)
      expect((await node.app.request(path, bearer('not-the-token-at-all'))).status, path).toBe(401)
      expect((await node.app.request(path, bearer(TEST_SCRAPE_TOKEN))).status, path).toBe(200)
      expect((await signedGet(node.app, path)).status, path).toBe(200)
    }
    expect((await node.app.request('/health')).status).toBe(200)
    expect((await node.app.request('/ready')).status).toBe(200)
  })

  it('/ready is 503 and embeds are refused while a loaded node is still warming up', async () => {
    // A second node from the same folder, whose warm-up is held at its session: still warming.
    let gate!: GatedBackend
    const cold = await loadNode(testSettings(node.folder.dir), {
      log: () => {},
      wrapBackends: (sessions) => sessions.map((session) => (gate = new GatedBackend(session))),
    })
    try {
      gate.hold()
      const warming = cold.warmUp()
      await gate.reached(1)
      const ready = await cold.app.request('/ready')
      expect(ready.status).toBe(503)
      expect(await ready.json()).toEqual({ status: 'loading' })
      expect((await cold.app.request('/health')).status).toBe(200)
      const refused = await postEmbed(cold.app, textsBody(cold.manifest.id, ['too early']))
      expect(refused.status).toBe(503)
      expect(await refused.text()).toContain('still loading')
      gate.open()
      await warming
    } finally {
      gate.open()
      await cold.close()
    }
  })

  it('/metrics counts requests, batches, tokens and padding in te_* series', async () => {
    await Promise.all([
      embed(texts('metrics: a short one')),
      embed(texts('metrics: a much longer input that pads the short one in its batch '.repeat(4))),
    ])
    const response = await signedGet(node.app, '/metrics')
    expect(response.headers.get('content-type')).toContain('text/plain')
    const text = await response.text()
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `))
      return line === undefined ? NaN : Number(line.split(' ')[1])
    }
    expect(value('te_request_count{status="200"}')).toBeGreaterThanOrEqual(2)
    expect(value('te_batch_next_size_count')).toBeGreaterThanOrEqual(1)
    expect(value('te_batch_next_tokens_sum')).toBeGreaterThan(0)
    expect(value('te_batch_padding_tokens')).toBeGreaterThanOrEqual(0)
    expect(value('te_request_tokenization_duration_count')).toBeGreaterThanOrEqual(2)
    expect(value('te_request_inference_duration_count')).toBeGreaterThanOrEqual(2)
    expect(value('te_queue_size')).toBe(0)
    expect(value('te_embed_cache_hits')).toBeGreaterThanOrEqual(0)
  })
})
