/**
 * The node calls the edge makes, signed as it signs them (shared/signing.ts): the embed POST,
 * and a GET of one of a node's reports (`/info`, `/monitor`, `/metrics`) over an empty body's
 * digest. Used by the edge, `npm start`, benchmarks and tests, so they all reach a node the
 * same way.
 */
import { EMBED_PATH } from '../../shared/node-protocol.ts'
import { SIGNATURE_HEADER, bodyDigest, signRequest } from '../../shared/signing.ts'

/** The signature header value of `POST /internal/embed` with this body. */
export async function signEmbed(
  secret: string,
  body: Uint8Array,
  options: { timestampMs?: number } = {},
): Promise<string> {
  const call = { method: 'POST', path: EMBED_PATH, digest: await bodyDigest(body) }
  return signRequest(secret, call, options)
}

export async function signedGetHeaders(path: string, secret: string) {
  const signature = await signRequest(secret, { method: 'GET', path, digest: await bodyDigest() })
  return { [SIGNATURE_HEADER]: signature }
}

/** e.g. `fetchSigned('http://127.0.0.1:8081', '/info', secret)`. */
export async function fetchSigned(
  baseUrl: string,
  path: string,
  secret: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = {
    ...(init.headers as Record<string, string>),
    ...(await signedGetHeaders(path, secret)),
  }
  return fetch(new URL(path, baseUrl).href, { ...init, headers })
}
