/**
 * The edge's one way to call an inference node: a signed request with a
 * deadline, and node failures turned into the statuses clients should see
 * (503 when no node can take the work, 504 when it took too long).
 */
import { ApiError, apiErrorFromBody } from '../../shared/errors.ts'
import {
  EMBED_PATH,
  FRAME_CONTENT_TYPE,
  MODEL_REVISION_HEADER,
  type EmbedRequest,
} from '../../shared/node-protocol.ts'
import { SIGNATURE_HEADER, signBody } from '../../shared/signing.ts'
import { decodeFrame, type VectorFrame } from '../../shared/vector-codec.ts'
import type { Env } from '../env.ts'

const DEFAULT_TIMEOUT_MS = 30_000

export interface NodeEmbedding extends VectorFrame {
  /** Revision of the model that computed the vectors; cache keys use it. */
  revision: string
}

export function nodeTimeoutMs(env: Env): number {
  const configured = Number(env.NODE_TIMEOUT_MS)
  return Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_TIMEOUT_MS
}

/** Fetches from the node with a deadline; network failure → 503, deadline → 504. */
export async function fetchNode(
  env: Env,
  path: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Response> {
  try {
    return await fetch(new URL(path, env.NODE_URL), {
      ...init,
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (err) {
    if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
      throw new ApiError(504, `the inference node did not answer within ${timeoutMs} ms`, {
        code: 'origin_timeout',
        cause: err,
      })
    }
    throw new ApiError(503, 'no inference node is reachable; cached inputs are still served', {
      code: 'origin_unavailable',
      cause: err,
    })
  }
}

/** Embeds final inputs on the node; vectors come back full-size, in input order. */
export async function embedOnNode(env: Env, request: EmbedRequest): Promise<NodeEmbedding> {
  const body = new TextEncoder().encode(JSON.stringify(request))
  const timeoutMs = nodeTimeoutMs(env)
  const response = await fetchNode(
    env,
    EMBED_PATH,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: await signBody(env.NODE_SECRET, body),
      },
      body,
    },
    timeoutMs,
  )
  if (response.status === 400 || response.status === 413 || response.status === 422) {
    // The node's verdict on the input itself (too long, unknown token id): the client's to fix.
    throw apiErrorFromBody(response.status, await response.json().catch(() => null))
  }
  if (response.status === 401) {
    console.error('the node refused our signature: NODE_SECRET differs between edge and node')
    throw new ApiError(503, 'the inference node refused the edge; this is a deployment fault', {
      code: 'origin_misconfigured',
    })
  }
  if (!response.ok || response.headers.get('content-type') !== FRAME_CONTENT_TYPE) {
    const retryAfter = response.headers.get('retry-after')
    await response.body?.cancel()
    throw new ApiError(
      503,
      `the inference node could not take the request (status ${response.status})`,
      {
        code: 'origin_unavailable',
        headers: retryAfter ? { 'retry-after': retryAfter } : {},
      },
    )
  }
  const frame = decodeFrame(await response.arrayBuffer())
  if (frame.vectors.length !== request.inputs.length) {
    throw new ApiError(503, 'the inference node answered with the wrong number of vectors', {
      code: 'origin_bad_response',
    })
  }
  return { ...frame, revision: response.headers.get(MODEL_REVISION_HEADER) ?? '' }
}
