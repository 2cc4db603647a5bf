/**
 * Whether the configured ADMIN_SECRET can open the admin API at all.
 *
 * Unset, the admin API is off by design. Set but unusable, it is off too, and
 * the operator must learn why rather than meet 401s for the right secret: too
 * short is a mistake (or guessable), not a secret; a character outside the
 * bearer token set can never arrive, since the gate (Hono's bearer-auth)
 * refuses any Authorization header carrying one before comparing. Each such
 * problem is answered in the 503 and logged once per isolate (`wrangler tail`
 * shows it); neither ever shows the secret.
 */
import { ApiError } from '../../shared/errors.ts'
import { isolateMemory } from '../isolate/isolate-memory.ts'

/** Shorter than this is a mistake (or guessable), not a secret. */
export const MIN_ADMIN_SECRET_LENGTH = 16

/**
 * What Hono's bearer-auth takes as a token (its TOKEN_STRINGS, RFC 6750's b64token), anchored
 * as it anchors it.
 */
const BEARER_TOKEN = /^[A-Za-z0-9._~+/-]+=*$/

const HOW_TO_SET = '(`wrangler secret put ADMIN_SECRET`, e.g. the output of `openssl rand -hex 32`)'

function problemWith(secret: string | undefined): string | null {
  if (secret && !BEARER_TOKEN.test(secret)) {
    return (
      'the admin API is off: ADMIN_SECRET has characters a bearer token cannot carry, so no ' +
      `request can present it; use only A-Z a-z 0-9 - . _ ~ + / (and = at the end) ${HOW_TO_SET}`
    )
  }
  if (!secret || secret.length < MIN_ADMIN_SECRET_LENGTH) {
    return (
      `the admin API is off: set an ADMIN_SECRET of at least ${MIN_ADMIN_SECRET_LENGTH} ` +
      `characters ${HOW_TO_SET}`
    )
  }
  return null
}

/** Throws the 503 `admin_disabled` saying why, unless ADMIN_SECRET can open the admin API. */
export function refuseUnusableAdminSecret(secret: string | undefined): void {
  const problem = problemWith(secret)
  if (problem === null) return
  // An unset secret is a choice; a set one that cannot work is a mistake to report.
  const logged = isolateMemory.adminSecretProblemsLogged
  if (secret && !logged.has(problem)) {
    logged.add(problem)
    console.error(problem)
  }
  throw new ApiError(503, problem, { code: 'admin_disabled' })
}
