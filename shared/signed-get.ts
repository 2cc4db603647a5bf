/**
 * A GET of one of a node's reports (`/info`, `/monitor`, `/metrics`) signed the
 * way the edge signs it: an empty body's digest. Used by the edge, `npm start`,
 * benchmarks and tests, so they all reach the reports the same way.
 */
import { SIGNATURE_HEADER, bodyDigest, signRequest } from './signing.ts'

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
