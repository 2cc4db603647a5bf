/** Signed calls to a node's embed endpoint, as the edge makes them. */
import { EMBED_PATH } from '../../shared/node-protocol.ts'
import { signEmbed, signedGetHeaders } from '../../edge/origin/signed-calls.ts'
import { SIGNATURE_HEADER } from '../../shared/signing.ts'
import { TEST_SECRET } from './node-in-process.ts'

export interface Fetcher {
  request(path: string, init: RequestInit): Response | Promise<Response>
}

/** RequestInit for POST /internal/embed with `body` signed by `secret`. */
export async function signedInit(
  body: unknown,
  options: { secret?: string; timestampMs?: number; signal?: AbortSignal } = {},
): Promise<RequestInit> {
  const bytes = new TextEncoder().encode(JSON.stringify(body))
  const signature = await signEmbed(options.secret ?? TEST_SECRET, bytes, {
    timestampMs: options.timestampMs,
  })
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
    body: bytes,
    signal: options.signal,
  }
}

/** A GET the edge signed (`/monitor`, `/info`, `/metrics`) through an app (`app.request`). */
export async function signedGet(
  app: Fetcher,
  path: string,
  secret = TEST_SECRET,
): Promise<Response> {
  return app.request(path, { method: 'GET', headers: await signedGetHeaders(path, secret) })
}

/** Calls the embed endpoint of an app (`app.request`) with a signed body. */
export async function postEmbed(app: Fetcher, body: unknown): Promise<Response> {
  return app.request(EMBED_PATH, await signedInit(body))
}

/** The body of an embed request for texts. */
export function textsBody(model: string, texts: string[], truncate = true) {
  return { model, inputs: texts.map((text) => ({ text })), truncate }
}
