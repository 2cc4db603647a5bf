/**
 * Middleware: only requests the edge signed with the shared secret, recently
 * and once, get through.
 *
 * The header's form, freshness and nonce are checked before a byte of the
 * body is read, so an unsigned, stale or replayed body costs the node nothing
 * but its headers. A fresh header with a made-up MAC still has its body read
 * (at most `maxBytes`, else 413) and hashed before the MAC fails: the digest
 * needs the body. Then the bytes and the parsed signature are handed on (the
 * answer is signed over it).
 */
import { createMiddleware } from 'hono/factory'
import { ApiError } from '../../shared/errors.ts'
import {
  SIGNATURE_HEADER,
  bodyDigest,
  parseSignature,
  verifyRequest,
  type ParsedSignature,
} from '../../shared/signing.ts'
import type { NonceMemory } from './nonce-memory.ts'
import { readBody } from './request-body.ts'

export type SignedBodyEnv = { Variables: { body: Uint8Array; signature: ParsedSignature } }

function refused(reason: string): ApiError {
  return new ApiError(401, `request refused: ${reason}`, { code: 'bad_signature' })
}

/** The signature of this request, checked; throws 401 (or 413 for a body past `maxBytes`). */
export function verifySignedRequest(secret: string, maxBytes: number, nonces: NonceMemory) {
  return createMiddleware<SignedBodyEnv>(async (c, next) => {
    const parsed = parseSignature(c.req.header(SIGNATURE_HEADER))
    if (!parsed.ok) throw refused(parsed.reason)
    const { signature } = parsed
    if (nonces.has(signature.nonce)) throw refused('replayed signature')
    const body = await readBody(c, maxBytes)
    const call = { method: c.req.method, path: c.req.path, digest: await bodyDigest(body) }
    if (!(await verifyRequest(secret, signature, call))) throw refused('wrong signature')
    // Claimed only once verified: forged requests cannot fill the memory or burn a real nonce.
    if (!nonces.claim(signature.nonce)) throw refused('replayed signature')
    c.set('body', body)
    c.set('signature', signature)
    await next()
  })
}
