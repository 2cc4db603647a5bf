/**
 * The HTTP shell both baseline servers share: the node's own contract (signed
 * `POST /internal/embed`, a vector frame back), so one client drives the node and the baselines
 * alike and a ratio between them is about how inference is scheduled, not about the protocol.
 * Hono on @hono/node-server, as the node uses. Each input is embedded on its own, in order.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { ApiError } from '../../../shared/errors.ts'
import { EMBED_PATH, FRAME_CONTENT_TYPE, type EmbedRequest } from '../../../shared/node-protocol.ts'
import {
  SIGNATURE_HEADER,
  bodyDigest,
  parseSignature,
  verifyRequest,
} from '../../../shared/signing.ts'
import { encodeFrame } from '../../../shared/vector-codec.ts'
import { useCryptoPrimitives } from '../../../shared/crypto-primitives.ts'
import { nodeCrypto } from '../../../gpu-node/node-crypto.ts'

export type EmbedOne = (text: string) => Promise<{ vector: Float32Array; tokens: number }>

export function createBaselineApp(secret: string, embedOne: EmbedOne): Hono {
  // The node's own digests and MACs (gpu-node/node-crypto.ts): the same crypto work per request.
  useCryptoPrimitives(nodeCrypto)
  const app = new Hono()
  app.onError((err) =>
    (err instanceof ApiError
      ? err
      : new ApiError(500, `inference failed: ${err.message}`)
    ).toResponse(),
  )
  app.get('/ready', (c) => c.json({ status: 'ready' }))
  app.post(EMBED_PATH, async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer())
    // The node's checks, but for the nonce memory: the same crypto work per request.
    const parsed = parseSignature(c.req.header(SIGNATURE_HEADER))
    if (!parsed.ok) throw new ApiError(401, `request refused: ${parsed.reason}`)
    const call = { method: 'POST', path: EMBED_PATH, digest: await bodyDigest(body) }
    if (!(await verifyRequest(secret, parsed.signature, call)))
      throw new ApiError(401, 'request refused: wrong signature')
    const request = JSON.parse(new TextDecoder().decode(body)) as EmbedRequest
    const vectors: Float32Array[] = []
    const tokenCounts: number[] = []
    for (const input of request.inputs) {
      if (!('text' in input)) throw new ApiError(400, 'this baseline embeds text inputs only')
      const { vector, tokens } = await embedOne(input.text)
      vectors.push(vector)
      tokenCounts.push(tokens)
    }
    return c.body(encodeFrame({ vectors, tokenCounts }), 200, {
      'content-type': FRAME_CONTENT_TYPE,
    })
  })
  return app
}

/** Listens on BENCH_SERVER_PORT (loopback) and says so; the parent waits for `/ready`. */
export function serveBaseline(name: string, app: Hono): void {
  const port = Number(process.env.BENCH_SERVER_PORT)
  serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () =>
    console.log(`${name} listening on http://127.0.0.1:${port}`),
  )
}

/** The settings a baseline server process is started with (see server-process.ts). */
export function baselineEnv(): { modelDir: string; secret: string } {
  const modelDir = process.env.BENCH_SERVER_MODEL_DIR
  const secret = process.env.BENCH_SERVER_SECRET
  if (!modelDir || !secret)
    throw new Error('BENCH_SERVER_MODEL_DIR and BENCH_SERVER_SECRET must be set')
  return { modelDir, secret }
}
