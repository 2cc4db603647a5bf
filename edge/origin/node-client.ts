/**
 * Calls to one inference node: the signed embed request, its /info and
 * /ready. Every way a call can fail becomes either an ApiError that is the
 * client's to fix (the node refused the input itself: 400, 413, 422) or a
 * NodeFailure, which says what went wrong so the pool can decide whether
 * another node may try and whether the node's breaker counts it.
 *
 * The README's request walk: steps 10 and 17.
 */
import { ApiError, apiErrorFromBody } from '../../shared/errors.ts'
import {
  EMBED_PATH,
  FRAME_CONTENT_TYPE,
  INFO_PATH,
  MODEL_REVISION_HEADER,
  MONITOR_PATH,
  READY_PATH,
  TOTAL_TIME_HEADER,
  VECTORS_STATE_HEADER,
  type EmbedRequest,
  type NodeInfo,
} from '../../shared/node-protocol.ts'
import { signEmbed, signedGetHeaders } from './signed-calls.ts'
import {
  RESPONSE_SIGNATURE_HEADER,
  SIGNATURE_HEADER,
  bodyDigest,
  macOf,
  verifyResponse,
} from '../../shared/signing.ts'
import { decodeFrame, type VectorFrame } from '../../shared/vector-codec.ts'

export type FailureKind =
  /** Connection refused or reset: the node is down or went away mid-request. */
  | 'unreachable'
  /** No answer within the deadline. */
  | 'timeout'
  /** 429 or 503: the node is alive but full (or still loading); it may say when to come back. */
  | 'overloaded'
  /** 401: edge and node disagree on NODE_SECRET. */
  | 'misconfigured'
  /** 404: the node does not serve that model (the edge's view of it is stale). */
  | 'model-not-served'
  /** Any other 5xx, or an answer that is not a well-formed frame. */
  | 'server-error'

/** A node failed the call; `clientError` is what the client sees if no other node succeeds. */
export class NodeFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly clientError: ApiError,
    /** Seconds the node asked us to wait (Retry-After), for `overloaded`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(clientError.message, { cause: clientError })
    this.name = 'NodeFailure'
  }
}

export interface NodeEmbedding extends VectorFrame {
  /** Revision of the model that computed the vectors; cache keys use it. */
  revision: string
  /** The node says its vectors drifted from their baseline: answer with them, cache none. */
  drifted: boolean
  /**
   * The call's round trip in ms: from sending it to its response headers, less the time the
   * node says it spent on it (its x-total-time: tokenizing, queueing and inference, the timing
   * headers text-embeddings-inference also sends); null when the node sent no x-total-time.
   */
  networkMs: number | null
}

export const unavailable = (message: string, headers: Record<string, string> = {}) =>
  new ApiError(503, message, { code: 'origin_unavailable', headers })

const UNREACHABLE_MESSAGE = 'no inference node is reachable; cached inputs are still served'

/** Retry-After as seconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
function retryAfterSeconds(header: string | null): number | undefined {
  if (!header) return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000)
}

/** A fetch with a deadline; network failure and deadline become NodeFailures. */
async function fetchWithDeadline(
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
      throw new NodeFailure(
        'timeout',
        new ApiError(504, `the inference node did not answer within ${timeoutMs} ms`, {
          code: 'origin_timeout',
          cause: err,
        }),
      )
    }
    throw new NodeFailure('unreachable', unavailable(UNREACHABLE_MESSAGE))
  }
}

/** Embeds final inputs on one node; vectors come back full-size, in input order. */
export async function embedOnNode(
  baseUrl: string,
  secret: string,
  request: EmbedRequest,
  timeoutMs: number,
): Promise<NodeEmbedding> {
  const body = new TextEncoder().encode(JSON.stringify(request))
  const signature = await signEmbed(secret, body)
  const sentAt = performance.now()
  const response = await fetchWithDeadline(
    new URL(EMBED_PATH, baseUrl).href,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
      body,
    },
    timeoutMs,
  )
  const headersMs = performance.now() - sentAt
  const status = response.status
  if (status === 400 || status === 413 || status === 422) {
    // The node's verdict on the input itself (too long, unknown token id): the client's to fix.
    const error = apiErrorFromBody(status, await response.json().catch(() => null))
    // ...except a vector the model itself broke (NaN, all zeros): that is this node's fault, and
    // another node (another GPU, driver or file) may compute it; the client hears it if none can.
    if (error.code === 'invalid_vector') throw new NodeFailure('server-error', error)
    throw error
  }
  if (!response.ok || response.headers.get('content-type') !== FRAME_CONTENT_TYPE) {
    const retryAfter = retryAfterSeconds(response.headers.get('retry-after'))
    await response.body?.cancel()
    if (status === 401) {
      console.error(`${baseUrl} refused our signature: NODE_SECRET differs between edge and node`)
      throw new NodeFailure(
        'misconfigured',
        new ApiError(503, 'the inference node refused the edge; this is a deployment fault', {
          code: 'origin_misconfigured',
        }),
      )
    }
    if (status === 429 || status === 503) {
      throw new NodeFailure(
        'overloaded',
        unavailable(
          `the inference nodes are at capacity (status ${status}); retry shortly`,
          retryAfter === undefined ? {} : { 'retry-after': String(Math.ceil(retryAfter)) },
        ),
        retryAfter,
      )
    }
    if (status === 404) {
      throw new NodeFailure(
        'model-not-served',
        unavailable(`no reachable inference node serves the model '${request.model}'`),
      )
    }
    throw new NodeFailure(
      'server-error',
      unavailable(`the inference node could not take the request (status ${status})`),
    )
  }
  let bytes: ArrayBuffer
  try {
    bytes = await response.arrayBuffer()
  } catch {
    throw new NodeFailure('unreachable', unavailable(UNREACHABLE_MESSAGE))
  }
  const revision = response.headers.get(MODEL_REVISION_HEADER) ?? ''
  const vectorsState = response.headers.get(VECTORS_STATE_HEADER) ?? ''
  // Nothing unsigned is believed: these vectors may be cached for weeks.
  const authentic = await verifyResponse(secret, response.headers.get(RESPONSE_SIGNATURE_HEADER), {
    requestMac: macOf(signature),
    status,
    revision,
    vectors: vectorsState,
    digest: await bodyDigest(new Uint8Array(bytes)),
  })
  if (!authentic) {
    console.error(`${baseUrl} answered without a valid response signature`)
    throw new NodeFailure(
      'server-error',
      new ApiError(503, 'the inference node answered without a valid signature', {
        code: 'origin_bad_response',
      }),
    )
  }
  let frame: VectorFrame
  try {
    frame = decodeFrame(bytes)
  } catch {
    throw new NodeFailure('server-error', unavailable(UNREACHABLE_MESSAGE))
  }
  if (frame.vectors.length !== request.inputs.length) {
    throw new NodeFailure(
      'server-error',
      new ApiError(503, 'the inference node answered with the wrong number of vectors', {
        code: 'origin_bad_response',
      }),
    )
  }
  return {
    ...frame,
    revision,
    drifted: vectorsState === 'drifted',
    networkMs: networkMsOf(headersMs, response.headers),
  }
}

/** `headersMs` less the node's x-total-time; null when it sent none. */
function networkMsOf(headersMs: number, headers: Headers): number | null {
  const total = Number(headers.get(TOTAL_TIME_HEADER) ?? NaN)
  return Number.isFinite(total) && total >= 0 ? Math.max(0, headersMs - total) : null
}

/** A signed GET of one of the node's reports (`/info`, `/monitor`). */
async function signedGet(
  baseUrl: string,
  path: string,
  secret: string,
  timeoutMs: number,
): Promise<Response> {
  const headers = await signedGetHeaders(path, secret)
  return fetchWithDeadline(new URL(path, baseUrl).href, { headers }, timeoutMs)
}

/** The node's /info; throws NodeFailure when it cannot be had. */
export async function fetchNodeInfo(
  baseUrl: string,
  secret: string,
  timeoutMs: number,
): Promise<NodeInfo> {
  const response = await signedGet(baseUrl, INFO_PATH, secret, timeoutMs)
  if (!response.ok) {
    await response.body?.cancel()
    throw new NodeFailure('server-error', unavailable(`${INFO_PATH} answered ${response.status}`))
  }
  return (await response.json()) as NodeInfo
}

/** The node's signed `/monitor` report (drift figures and state), as JSON. */
export async function fetchNodeMonitor(
  baseUrl: string,
  secret: string,
  timeoutMs: number,
): Promise<unknown> {
  const response = await signedGet(baseUrl, MONITOR_PATH, secret, timeoutMs)
  if (!response.ok) {
    await response.body?.cancel()
    throw new NodeFailure(
      'server-error',
      unavailable(`${MONITOR_PATH} answered ${response.status}`),
    )
  }
  return response.json()
}

/**
 * What a node's /ready said: 200, its own word that it cannot serve (loading, draining), or
 * nothing in time.
 */
export type Readiness = 'ready' | 'not-ready' | 'no-answer'

/** The node's /ready, read within `timeoutMs`. */
export async function nodeReadiness(baseUrl: string, timeoutMs: number): Promise<Readiness> {
  try {
    const response = await fetchWithDeadline(new URL(READY_PATH, baseUrl).href, {}, timeoutMs)
    await response.body?.cancel()
    return response.ok ? 'ready' : 'not-ready'
  } catch {
    return 'no-answer'
  }
}
