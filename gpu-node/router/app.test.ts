/**
 * The node's HTTP surface on a real model (the generated tiny Qwen3): signed
 * requests only, binary frames out, and batching that does not change vectors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMBED_PATH, FRAME_CONTENT_TYPE, type NodeInfo } from '../../shared/node-protocol.ts'
import { SIGNATURE_HEADER, signBody } from '../../shared/signing.ts'
import { decodeFrame } from '../../shared/vector-codec.ts'
import { tinyQwen3Folder } from '../../test/support/tiny-qwen3-folder.ts'
import { loadEmbeddingService } from '../core/load-service.ts'
import { createNodeApp } from './app.ts'

const secret = 'node-test-secret-0123456789'
let app: ReturnType<typeof createNodeApp>
let modelId: string
let ready = true
let cleanUp: () => Promise<void>

beforeAll(async () => {
  const folder = await tinyQwen3Folder()
  const loaded = await loadEmbeddingService({
    modelDir: folder.dir,
    executionProviders: ['cpu'],
    cudaDeviceId: 0,
    intraOpThreads: 0,
    interOpThreads: 0,
    maxBatchSize: 8,
    maxBatchWaitMs: 5,
  })
  modelId = loaded.service.manifest.id
  app = createNodeApp({
    service: loaded.service,
    secret,
    executionProvider: loaded.provider,
    maxBatchSize: 8,
    maxInputsPerRequest: 16,
    maxBodyBytes: 64 * 1024,
    isReady: () => ready,
  })
  cleanUp = async () => {
    await loaded.release()
    await folder.remove()
  }
})
afterAll(() => cleanUp())

async function embed(
  body: unknown,
  sign: (bytes: Uint8Array) => Promise<string | null> = (b) => signBody(secret, b),
) {
  const bytes = new TextEncoder().encode(JSON.stringify(body))
  const signature = await sign(bytes)
  return app.request(EMBED_PATH, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(signature ? { [SIGNATURE_HEADER]: signature } : {}),
    },
    body: bytes,
  })
}

const texts = (...items: string[]) => ({
  model: modelId,
  inputs: items.map((text) => ({ text })),
  truncate: true,
})

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

  it('refuses unsigned, wrongly signed and stale requests with 401', async () => {
    const body = texts('hello')
    expect((await embed(body, async () => null)).status).toBe(401)
    expect((await embed(body, (b) => signBody('some-other-secret-value', b))).status).toBe(401)
    expect((await embed(body, (b) => signBody(secret, b, Date.now() - 5 * 60_000))).status).toBe(
      401,
    )
  })

  it('gives a text the same vector alone and batched with longer and shorter neighbours', async () => {
    const target = 'the same sentence, embedded twice'
    const alone = decodeFrame(await (await embed(texts(target))).arrayBuffer()).vectors[0]
    const neighbours = ['short', target, 'a much longer neighbour '.repeat(20)]
    const concurrent = await Promise.all([
      embed(texts(...neighbours)),
      embed(texts('x')),
      embed(texts(target)),
    ])
    const batched = decodeFrame(await concurrent[0].arrayBuffer()).vectors[1]
    const maxDiff = Math.max(...Array.from(alone, (x, i) => Math.abs(x - batched[i])))
    expect(maxDiff).toBeLessThanOrEqual(1e-5)
  })

  it('reports token-id input lengths exactly and refuses ids outside the vocabulary', async () => {
    const ok = await embed({ model: modelId, inputs: [{ ids: [9707, 1879] }], truncate: true })
    expect(decodeFrame(await ok.arrayBuffer()).tokenCounts).toEqual([3]) // + <|endoftext|>
    const bad = await embed({ model: modelId, inputs: [{ ids: [10_000_000] }], truncate: true })
    expect(bad.status).toBe(400)
  })

  it('answers 400, 404, 413 and 422 in the OpenAI shape', async () => {
    const codes = [
      (await embed({ model: modelId, inputs: [], truncate: true })).status,
      (await embed({ ...texts('x'), model: 'other' })).status,
      (await embed(texts('x'.repeat(70 * 1024)))).status,
      (await embed({ ...texts('word '.repeat(10_000)), truncate: false })).status,
    ]
    expect(codes).toEqual([400, 404, 413, 422])
  })
})

describe('probes', () => {
  it('/info says what is served and on which provider', async () => {
    const info = (await (await app.request('/info')).json()) as NodeInfo
    expect(info.models[0]).toMatchObject({
      id: modelId,
      dimensions: 64,
      matryoshka: true,
      instruction_format: 'qwen3',
    })
    expect(info.execution_provider).toBe('cpu')
  })

  it('/ready is 503 until the model is warm', async () => {
    ready = false
    expect((await app.request('/ready')).status).toBe(503)
    ready = true
    expect((await app.request('/ready')).status).toBe(200)
  })
})
