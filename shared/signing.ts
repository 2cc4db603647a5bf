/**
 * HMAC-SHA256 signing of the edge ↔ node channel, both ways.
 *
 * A request's signature covers its method, path, a SHA-256 digest of its body,
 * a timestamp and a random nonce: a captured request cannot be sent to another
 * endpoint, with another body, later than the skew window allows, or twice
 * within it (the node remembers nonces, gpu-node/router/nonce-memory.ts).
 * Signing a digest rather than `timestamp.body` means the body is never copied
 * to be signed. The header's form and freshness can be checked before a byte
 * of the body is read (`parseSignature`).
 *
 * A response's signature covers the request's MAC, the status, the model
 * revision, the vectors' drift state and the digest of the body: the edge
 * checks it before anything is cached, so a vector forged on the way (or a
 * stale answer replayed) never reaches KV. Verification compares in constant
 * time; the primitives are shared/crypto-primitives.ts.
 */
import { cryptoPrimitives } from './crypto-primitives.ts'
import { toHex } from './hex.ts'

export const SIGNATURE_HEADER = 'x-embed-signature'
export const RESPONSE_SIGNATURE_HEADER = 'x-embed-response-signature'
/** How far a signed timestamp may be from the verifier's clock; nonces are kept twice as long. */
export const DEFAULT_MAX_SKEW_MS = 60_000

const encoder = new TextEncoder()
const EMPTY = new Uint8Array(0)

/** Hex SHA-256 of a body: what both signatures cover instead of the body itself. */
export async function bodyDigest(body: Uint8Array = EMPTY): Promise<string> {
  return cryptoPrimitives().sha256Hex(body)
}

/** What a request signature covers, besides its timestamp and nonce. */
export interface SignedCall {
  method: string
  /** The URL's path, e.g. `/internal/embed`. */
  path: string
  /** Hex SHA-256 of the body (`bodyDigest`); an empty body's for a GET. */
  digest: string
}

function requestText(call: SignedCall, timestampMs: number, nonce: string): Uint8Array {
  return encoder.encode(
    `v2\n${call.method.toUpperCase()}\n${call.path}\n${timestampMs}\n${nonce}\n${call.digest}`,
  )
}

function randomNonce(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)).buffer)
}

/** The request header value: `t={unix ms},n={hex nonce},v2={hex hmac}`. */
export async function signRequest(
  secret: string,
  call: SignedCall,
  options: { timestampMs?: number; nonce?: string } = {},
): Promise<string> {
  const timestampMs = options.timestampMs ?? Date.now()
  const nonce = options.nonce ?? randomNonce()
  const mac = await cryptoPrimitives().hmacSha256Hex(secret, requestText(call, timestampMs, nonce))
  return `t=${timestampMs},n=${nonce},v2=${mac}`
}

/** A request signature header that is well-formed and fresh; not yet checked against the call. */
export interface ParsedSignature {
  timestampMs: number
  nonce: string
  /** Hex MAC; the response signature covers it. */
  mac: string
}

export type Checked<T> = ({ ok: true } & T) | { ok: false; reason: string }

/** Form and freshness only: cheap enough to run before the body is read. */
export function parseSignature(
  header: string | null | undefined,
  options: { nowMs?: number; maxSkewMs?: number } = {},
): Checked<{ signature: ParsedSignature }> {
  if (!header) return { ok: false, reason: 'missing signature' }
  const match = /^t=(\d{1,16}),n=([0-9a-f]{32}),v2=([0-9a-f]{64})$/.exec(header)
  if (!match) return { ok: false, reason: 'malformed signature' }
  const timestampMs = Number(match[1])
  const skew = Math.abs((options.nowMs ?? Date.now()) - timestampMs)
  if (skew > (options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS))
    return { ok: false, reason: 'stale signature' }
  return { ok: true, signature: { timestampMs, nonce: match[2], mac: match[3] } }
}

/** True when the parsed signature is the secret's MAC of this call. */
export async function verifyRequest(
  secret: string,
  signature: ParsedSignature,
  call: SignedCall,
): Promise<boolean> {
  return cryptoPrimitives().hmacVerify(
    secret,
    signature.mac,
    requestText(call, signature.timestampMs, signature.nonce),
  )
}

/** What a response signature covers. */
export interface SignedAnswer {
  /** The MAC of the request it answers (ParsedSignature.mac). */
  requestMac: string
  status: number
  revision: string
  /** The vectors' drift state (`ok`, `drifted`, `starting`). */
  vectors: string
  digest: string
}

function answerText(answer: SignedAnswer): Uint8Array {
  return encoder.encode(
    `v2-response\n${answer.requestMac}\n${answer.status}\n${answer.revision}\n${answer.vectors}\n${answer.digest}`,
  )
}

/** The response header value: `v2={hex hmac}`. */
export async function signResponse(secret: string, answer: SignedAnswer): Promise<string> {
  return `v2=${await cryptoPrimitives().hmacSha256Hex(secret, answerText(answer))}`
}

export async function verifyResponse(
  secret: string,
  header: string | null | undefined,
  answer: SignedAnswer,
): Promise<boolean> {
  const match = /^v2=([0-9a-f]{64})$/.exec(header ?? '')
  if (!match) return false
  return cryptoPrimitives().hmacVerify(secret, match[1], answerText(answer))
}

/** The MAC part of a request header this side signed (the response signature covers it). */
export function macOf(header: string): string {
  return header.slice(header.lastIndexOf('=') + 1)
}
