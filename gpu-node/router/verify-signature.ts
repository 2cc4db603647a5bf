/**
 * Middleware: only requests the edge signed with the shared secret, recently,
 * get through. The body is read here, once (at most `maxBytes`, else 413),
 * and handed on as bytes.
 */
import { createMiddleware } from 'hono/factory'
import { ApiError } from '../../shared/errors.ts'
import { SIGNATURE_HEADER, verifySignature } from '../../shared/signing.ts'
import { readBody } from './request-body.ts'

export type SignedBodyEnv = { Variables: { body: Uint8Array } }

export function verifySignedBody(secret: string, maxBytes: number) {
  return createMiddleware<SignedBodyEnv>(async (c, next) => {
    const body = await readBody(c, maxBytes)
    const check = await verifySignature(secret, body, c.req.header(SIGNATURE_HEADER))
    if (!check.ok)
      throw new ApiError(401, `request refused: ${check.reason}`, { code: 'bad_signature' })
    c.set('body', body)
    await next()
  })
}
