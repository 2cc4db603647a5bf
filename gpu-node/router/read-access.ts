/**
 * Who may read the node's reports (`/metrics`, `/info`, `/monitor`): the edge,
 * with a signed GET, or a scraper holding `SCRAPE_TOKEN` as a bearer token.
 * They name the model, its revision, the sessions and traffic figures: not for
 * whoever can reach the port. Only `/health` and `/ready` stay open, for the
 * orchestrator's probes.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { createMiddleware } from 'hono/factory'
import { ApiError } from '../../shared/errors.ts'
import { SIGNATURE_HEADER } from '../../shared/signing.ts'
import type { NonceMemory } from './nonce-memory.ts'
import { verifySignedRequest, type SignedBodyEnv } from './verify-signature.ts'

const digest = (text: string) => createHash('sha256').update(text).digest()

/** Bearer `scrapeToken` (compared in constant time), else the edge's signature. */
export function readAccess(secret: string, scrapeToken: string | undefined, nonces: NonceMemory) {
  const signed = verifySignedRequest(secret, 0, nonces)
  const expected = scrapeToken ? digest(scrapeToken) : null
  return createMiddleware<SignedBodyEnv>(async (c, next) => {
    const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1]
    if (bearer && !c.req.header(SIGNATURE_HEADER)) {
      if (expected && timingSafeEqual(digest(bearer), expected)) return next()
      throw new ApiError(401, `request refused: ${expected ? 'wrong' : 'no'} scrape token`, {
        code: 'bad_signature',
      })
    }
    return signed(c, next)
  })
}
