/**
 * The node's HTTP surface (TEI's router): the signed embed endpoint the edge
 * calls, the open probes an orchestrator needs (`/health` threads alive,
 * `/ready` model loaded, warm and its threads running), and the reports only
 * the edge's signature or the scrape token may read (`/info` what is served
 * and where, `/monitor` vector drift, Prometheus `/metrics`). Everything else
 * happens in core/.
 *
 * The README's request walk: steps 11 and 16.
 */
import { Hono } from 'hono'
import { createMiddleware } from 'hono/factory'
import { ApiError } from '../../shared/errors.ts'
import {
  EMBED_PATH,
  FRAME_CONTENT_TYPE,
  INFO_PATH,
  MODEL_REVISION_HEADER,
  MONITOR_PATH,
  READY_PATH,
  VECTORS_STATE_HEADER,
  embedRequestSchema,
  type ModelInfo,
  type NodeInfo,
} from '../../shared/node-protocol.ts'
import { RESPONSE_SIGNATURE_HEADER, bodyDigest, signResponse } from '../../shared/signing.ts'
import { encodeFrame } from '../../shared/vector-codec.ts'
import type { Infer } from '../core/infer.ts'
import type { NodeMetrics } from '../core/metrics.ts'
import type { DriftMonitor } from '../monitor/drift-monitor.ts'
import { clientGoneSignal } from './request-body.ts'
import type { ServingState } from './serving-state.ts'
import { timingHeaders } from './timing-headers.ts'
import type { NonceMemory } from './nonce-memory.ts'
import { readAccess } from './read-access.ts'
import { verifySignedRequest, type SignedBodyEnv } from './verify-signature.ts'

/** Response header: how many inputs the node-local cache answered (`hit`, `miss`, `partial`). */
export const NODE_CACHE_HEADER = 'x-node-cache'

export interface NodeAppOptions {
  infer: Infer
  /** Drift of the vectors against their baseline: `GET /monitor`, and `vectors` in /info. */
  monitor: DriftMonitor
  model: ModelInfo
  metrics: NodeMetrics
  state: ServingState
  secret: string
  /** Bearer token that may read /metrics, /info and /monitor besides the edge's signature. */
  scrapeToken?: string
  /** Accepted requests' nonces, to refuse replays. */
  nonces: NonceMemory
  /** Where the sessions run, e.g. `['cpu']`, `['cpu#0', 'cpu#1']` or `['cuda:0', 'cuda:1']`. */
  sessions: string[]
  /** False while no session, or no tokenizer thread, runs (dead, being restarted): `/health` 503. */
  isHealthy: () => boolean
  maxBatchRequests: number
  maxBatchTokens: number
  maxInputsPerRequest: number
  maxBodyBytes: number
}

/** What /info adds to the shared contract: one entry per session. */
export type NodeInfoWithSessions = NodeInfo & { sessions: string[] }

export function createNodeApp(options: NodeAppOptions): Hono<SignedBodyEnv> {
  const { infer, metrics, state } = options
  const requestSchema = embedRequestSchema(options.maxInputsPerRequest)
  const app = new Hono<SignedBodyEnv>()
  const { nonces } = options
  const reader = readAccess(options.secret, options.scrapeToken, nonces)

  app.onError((err) => {
    if (err instanceof ApiError) return err.toResponse()
    console.error('[node] request failed:', err)
    return new ApiError(500, 'inference failed').toResponse()
  })

  app.get('/health', (c) =>
    options.isHealthy()
      ? c.json({ status: 'ok' })
      : c.json({ status: 'no session or no tokenizer thread is running; restarting' }, 503),
  )
  app.get(READY_PATH, (c) => {
    const status = state.status
    return c.json({ status }, status === 'ready' ? 200 : 503)
  })
  const simulated = options.sessions.filter((session) => session.startsWith('sim:'))
  app.get(INFO_PATH, reader, (c) => {
    const info: NodeInfoWithSessions = {
      models: [options.model],
      execution_provider: [...new Set(options.sessions.map((s) => s.split(/[:#]/)[0]))].join(','),
      max_batch_size: options.maxBatchRequests,
      max_batch_tokens: options.maxBatchTokens,
      vectors: options.monitor.state,
      sessions: options.sessions,
      ...(simulated.length > 0
        ? {
            simulated_device: `SIMULATED (${simulated.join(', ')}): stand-in vectors, no model runs`,
          }
        : {}),
    }
    return c.json(info)
  })
  app.get(MONITOR_PATH, reader, (c) => c.json(options.monitor.report()))
  app.get('/metrics', reader, async (c) => {
    const { contentType, body } = await metrics.render()
    return c.body(body, 200, { 'content-type': contentType })
  })

  /** Counts requests in flight (for shutdown) and answers, by status, for /metrics. */
  const accounting = createMiddleware(async (c, next) => {
    if (state.draining) {
      throw new ApiError(503, 'the inference node is shutting down', {
        code: 'node_shutting_down',
        headers: { connection: 'close' },
      })
    }
    state.begin()
    metrics.requestsInFlight.inc()
    const started = performance.now()
    try {
      await next()
    } finally {
      state.end()
      metrics.requestsInFlight.dec()
      metrics.requestCount.inc({ status: String(c.res.status) })
      if (c.res.status === 200)
        metrics.requestDuration.observe((performance.now() - started) / 1000)
      // Tell keep-alive clients to reconnect elsewhere once shutdown has begun.
      if (state.draining) c.res.headers.set('connection', 'close')
    }
  })

  app.post(
    EMBED_PATH,
    // Verified first: an unsigned request is not counted in flight, nor held through a drain.
    verifySignedRequest(options.secret, options.maxBodyBytes, nonces),
    accounting,
    async (c) => {
      if (!state.ready) throw new ApiError(503, 'the model is still loading')
      let json: unknown
      try {
        json = JSON.parse(new TextDecoder().decode(c.get('body')))
      } catch {
        throw new ApiError(400, 'the body is not valid JSON')
      }
      const parsed = requestSchema.safeParse(json)
      if (!parsed.success)
        throw new ApiError(400, `invalid embed request: ${parsed.error.issues[0].message}`)
      const request = parsed.data
      const { frame, timings, cacheHits } = await infer.embed(request, clientGoneSignal(c))
      const cache =
        cacheHits === 0 ? 'miss' : cacheHits === request.inputs.length ? 'hit' : 'partial'
      const bytes = encodeFrame(frame)
      const vectorsState = options.monitor.state
      // The edge caches these vectors for weeks: it checks this before it believes them.
      const responseSignature = await signResponse(options.secret, {
        requestMac: c.get('signature').mac,
        status: 200,
        revision: options.model.revision,
        vectors: vectorsState,
        digest: await bodyDigest(bytes),
      })
      return c.body(bytes, 200, {
        'content-type': FRAME_CONTENT_TYPE,
        [RESPONSE_SIGNATURE_HEADER]: responseSignature,
        [MODEL_REVISION_HEADER]: options.model.revision,
        [VECTORS_STATE_HEADER]: vectorsState,
        [NODE_CACHE_HEADER]: cache,
        'x-compute-tokens': String(frame.tokenCounts.reduce((a, b) => a + b, 0)),
        ...timingHeaders(timings),
      })
    },
  )
  return app
}
