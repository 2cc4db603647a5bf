/**
 * The admin API's gate: `Authorization: Bearer <ADMIN_SECRET>`, compared in
 * constant time (Hono's bearer-auth hashes both sides before comparing).
 * Without a configured secret the admin API refuses everything: it is never
 * open by default.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { timingSafeEqual } from 'hono/utils/buffer'
import { ApiError } from '../../shared/errors.ts'
import type { AppEnv } from '../env.ts'

/** Shorter than this is a mistake (or guessable), not a secret. */
export const MIN_ADMIN_SECRET_LENGTH = 16

const unauthorized = (message: string) => () =>
  new ApiError(401, message, { code: 'invalid_admin_secret' }).toResponse()

const checkSecret = bearerAuth({
  verifyToken: (token: string, c: Context<AppEnv>) => timingSafeEqual(c.env.ADMIN_SECRET!, token),
  noAuthenticationHeader: {
    message: unauthorized("The admin API needs 'Authorization: Bearer <admin secret>'."),
  },
  invalidAuthenticationHeader: {
    message: unauthorized("Malformed Authorization header; expected 'Bearer <admin secret>'."),
  },
  invalidToken: { message: unauthorized('Wrong admin secret.') },
})

export const adminAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const secret = c.env.ADMIN_SECRET
  if (!secret || secret.length < MIN_ADMIN_SECRET_LENGTH) {
    throw new ApiError(
      503,
      `the admin API is off: set an ADMIN_SECRET of at least ${MIN_ADMIN_SECRET_LENGTH} characters ` +
        '(`wrangler secret put ADMIN_SECRET`)',
      { code: 'admin_disabled' },
    )
  }
  await checkSecret(c, next)
  // Answers may hold a raw key (shown once); no cache may keep one.
  c.res.headers.set('cache-control', 'no-store')
}
