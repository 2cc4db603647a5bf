/**
 * Bearer-key authentication: Hono's bearer-auth with a `verifyToken` that
 * looks the key's hash up in KV and puts the tenant on the context.
 * Every failure is a 401 in the OpenAI shape, as OpenAI answers.
 */
import type { Context } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { ApiError } from '../../shared/errors.ts'
import type { AppEnv } from '../env.ts'
import { tenantForApiKey } from '../tenants/tenant-store.ts'

const unauthorized = (message: string) => () =>
  new ApiError(401, message, { code: 'invalid_api_key' }).toResponse()

export const tenantAuth = bearerAuth({
  verifyToken: async (token: string, c: Context<AppEnv>) => {
    const tenant = await tenantForApiKey(c.env.CONTROL_KV, token)
    if (tenant) c.set('tenant', tenant)
    return tenant !== null
  },
  noAuthenticationHeader: {
    message: unauthorized(
      "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.",
    ),
  },
  invalidAuthenticationHeader: {
    message: unauthorized("Malformed Authorization header; expected 'Bearer YOUR_KEY'."),
  },
  invalidToken: { message: unauthorized('Incorrect or revoked API key provided.') },
})
