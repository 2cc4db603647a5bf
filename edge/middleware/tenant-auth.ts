/**
 * Bearer-key authentication: Hono's bearer-auth with a `verifyToken` that
 * looks the key's hash up in KV and puts the tenant and key on the context.
 * Every failure is a 401 in the OpenAI shape, as OpenAI answers.
 * (Revocation is checked again in the tenant's Durable Object: tenant-limits.ts.)
 *
 * The README's request walk: step 2.
 */
import type { Context } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { ApiError } from '../../shared/errors.ts'
import type { AppEnv } from '../env.ts'
import { credentialsForApiKey } from '../tenants/tenant-store.ts'

const INVALID_KEY_MESSAGE = 'Incorrect or revoked API key provided.'

const unauthorized = (message: string) => () =>
  new ApiError(401, message, { code: 'invalid_api_key' }).toResponse()

/** The 401 for a key that is known but refused; the same answer as for an unknown key. */
export function invalidKeyError(): ApiError {
  return new ApiError(401, INVALID_KEY_MESSAGE, {
    code: 'invalid_api_key',
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  })
}

export const tenantAuth = bearerAuth({
  verifyToken: async (token: string, c: Context<AppEnv>) => {
    const credentials = await credentialsForApiKey(c.env.CONTROL_KV, token)
    if (!credentials) return false
    c.set('tenant', credentials.tenant)
    c.set('apiKey', credentials.key)
    return true
  },
  noAuthenticationHeader: {
    message: unauthorized(
      "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.",
    ),
  },
  invalidAuthenticationHeader: {
    message: unauthorized("Malformed Authorization header; expected 'Bearer YOUR_KEY'."),
  },
  invalidToken: { message: unauthorized(INVALID_KEY_MESSAGE) },
})
