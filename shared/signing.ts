/**
 * HMAC-SHA256 request signing between the edge and the node.
 *
 * The edge signs `{timestamp}.{body}` with a shared secret; the node accepts a
 * request only if the signature verifies and the timestamp is recent, so a
 * captured request cannot be replayed later. `crypto.subtle.verify` compares
 * in constant time.
 */
import { fromHex, toHex } from './hashing.ts'

export const SIGNATURE_HEADER = 'x-embed-signature'
/** How far a signed timestamp may be from the verifier's clock. */
export const DEFAULT_MAX_SKEW_MS = 60_000

const encoder = new TextEncoder()

// Every request on both tiers signs or verifies with the same few secrets; importing the key
// once per secret keeps importKey off the hot path. Bounded: a process sees one or two secrets.
const MAX_CACHED_KEYS = 8
const keys = new Map<string, Promise<CryptoKey>>()

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret)
  if (!key) {
    if (keys.size >= MAX_CACHED_KEYS) keys.clear()
    key = crypto.subtle.importKey(
      'raw',
      encoder.encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    )
    keys.set(secret, key)
  }
  return key
}

function signedBytes(timestampMs: number, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = encoder.encode(`${timestampMs}.`)
  const bytes = new Uint8Array(prefix.length + body.length)
  bytes.set(prefix)
  bytes.set(body, prefix.length)
  return bytes
}

/** The header value for a body: `t={unix ms},v1={hex hmac}`. */
export async function signBody(
  secret: string,
  body: Uint8Array,
  timestampMs = Date.now(),
): Promise<string> {
  const key = await hmacKey(secret)
  const mac = await crypto.subtle.sign('HMAC', key, signedBytes(timestampMs, body))
  return `t=${timestampMs},v1=${toHex(mac)}`
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string }

/** Checks a header value against the body: present, well-formed, fresh and authentic. */
export async function verifySignature(
  secret: string,
  body: Uint8Array,
  header: string | null | undefined,
  options: { nowMs?: number; maxSkewMs?: number } = {},
): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: 'missing signature' }
  const match = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(header)
  if (!match) return { ok: false, reason: 'malformed signature' }
  const timestampMs = Number(match[1])
  const skew = Math.abs((options.nowMs ?? Date.now()) - timestampMs)
  if (skew > (options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS))
    return { ok: false, reason: 'stale signature' }
  const mac = fromHex(match[2])!
  const key = await hmacKey(secret)
  const valid = await crypto.subtle.verify('HMAC', key, mac, signedBytes(timestampMs, body))
  return valid ? { ok: true } : { ok: false, reason: 'wrong signature' }
}
