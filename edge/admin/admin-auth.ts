/**
 * The admin API's gate: `Authorization: Bearer <ADMIN_SECRET>`, compared in
 * constant time (Hono's bearer-auth hashes both sides before comparing).
 * Without a usable secret the admin API refuses everything: it is never open
 * by default (ADMIN_SECRET in edge/config.ts). A client that keeps sending wrong secrets is
 * refused before any comparison (login-throttle.ts).
 */
import type { Context, MiddlewareHandler } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { timingSafeEqual } from 'hono/utils/buffer'
import { ApiError } from '../../shared/errors.ts'
import { edgeConfig } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { loginClientOf, recordFailedLogin, refuseThrottledClient } from './login-throttle.ts'

const unauthorized = (message: string) => () =>
  new ApiError(401, message, { code: 'invalid_admin_secret' }).toResponse()

const checkSecret = bearerAuth({
  verifyToken: async (token: string, c: Context<AppEnv>) => {
    const admin = edgeConfig(c.env).admin
    const matches = 'secret' in admin && (await timingSafeEqual(admin.secret, token))
    // Checked again after comparing: a burst sent at once is past the first check before any
    // of it has failed, and only its first few may learn their answer.
    const client = loginClientOf(c)
    refuseThrottledClient(client)
    if (!matches) recordFailedLogin(client)
    return matches
  },
  noAuthenticationHeader: {
    message: unauthorized("The admin API needs 'Authorization: Bearer <admin secret>'."),
  },
  invalidAuthenticationHeader: {
    message: unauthorized("Malformed Authorization header; expected 'Bearer <admin secret>'."),
  },
  invalidToken: { message: unauthorized('Wrong admin secret.') },
})

export const adminAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const admin = edgeConfig(c.env).admin
  if ('off' in admin) throw new ApiError(503, admin.off, { code: 'admin_disabled' })
  refuseThrottledClient(loginClientOf(c))
  await checkSecret(c, next)
  // Answers may hold a raw key (shown once); no cache may keep one.
  c.res.headers.set('cache-control', 'no-store')
}
