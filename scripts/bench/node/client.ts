/**
 * One embedding call as the edge makes it: a signed JSON body to `POST /internal/embed`, a
 * vector frame back. The same call drives the node and both baselines.
 */
import { EMBED_PATH, type EmbedRequest } from '../../../shared/node-protocol.ts'
import { SIGNATURE_HEADER, signBody } from '../../../shared/signing.ts'
import { decodeFrame } from '../../../shared/vector-codec.ts'

export interface EmbedTarget {
  url: string
  secret: string
  model: string
  timeoutMs: number
}

const encoder = new TextEncoder()

/** @param signal aborts the call early (a load cell's deadline); `timeoutMs` applies anyway. */
export async function embedText(
  target: EmbedTarget,
  text: string,
  signal?: AbortSignal,
): Promise<{ vector: Float32Array; tokens: number }> {
  const request: EmbedRequest = { model: target.model, inputs: [{ text }], truncate: true }
  const body = encoder.encode(JSON.stringify(request))
  const response = await fetch(`${target.url}${EMBED_PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: await signBody(target.secret, body),
    },
    body,
    signal: AbortSignal.any([AbortSignal.timeout(target.timeoutMs), ...(signal ? [signal] : [])]),
  }).catch((err: Error) => {
    // undici says only "fetch failed"; the cause says what happened (e.g. "other side closed").
    const cause = (err.cause as Error | undefined)?.message
    throw new Error(cause ? `${err.message} (${cause})` : err.message)
  })
  if (!response.ok) {
    throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`)
  }
  const frame = decodeFrame(await response.arrayBuffer())
  if (frame.vectors.length !== 1) throw new Error(`expected 1 vector, got ${frame.vectors.length}`)
  return { vector: frame.vectors[0], tokens: frame.tokenCounts[0] }
}
