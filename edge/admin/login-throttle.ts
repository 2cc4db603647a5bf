/**
 * Failed admin logins, counted per client, so a guesser of ADMIN_SECRET gets
 * a few tries a minute, not as many as it can send. The client is its
 * `cf-connecting-ip`; requests without one (only outside Cloudflare, e.g. a
 * local run) share one bucket.
 *
 * A window opens at a client's first failure and lasts a minute; from the
 * MAX_FAILURES-th failure on, until the window ends, the client is answered
 * 429 with Retry-After whatever it sends, the right secret included. Only
 * failures count: a client that only logs in is never slowed, and one
 * client's failures never slow another.
 *
 * Per isolate and bounded (`loginFailures` in edge/isolate/isolate-memory.ts,
 * whose TTL is the window): the least recent client is forgotten first. The
 * bound is per isolate, so an attacker
 * spread over many locations gets MAX_FAILURES tries per isolate it reaches;
 * the secret's length (ADMIN_SECRET in edge/config.ts) is what makes that hopeless.
 */
import type { Context } from 'hono'
import { ApiError } from '../../shared/errors.ts'
import { isolateMemory } from '../isolate/isolate-memory.ts'

const MAX_FAILURES = 5

/** The bucket of every request that names no client address. */
const UNKNOWN_CLIENT = 'unknown-client'

export function loginClientOf(c: Context): string {
  return c.req.header('cf-connecting-ip') || UNKNOWN_CLIENT
}

/** Throws the 429 for a client that has used up its failures in the current window. */
export function refuseThrottledClient(client: string): void {
  const failures = isolateMemory.loginFailures
  if ((failures.get(client) ?? 0) < MAX_FAILURES) return
  // lru-cache reads a clock it refreshes lazily: what is left can come out a hair over the window.
  const left = Math.min(failures.getRemainingTTL(client), failures.ttl)
  const retryAfter = Math.max(1, Math.ceil(left / 1000))
  throw new ApiError(
    429,
    `too many wrong admin secrets from this client; try again in ${retryAfter} s`,
    { code: 'admin_login_throttled', headers: { 'retry-after': String(retryAfter) } },
  )
}

export function recordFailedLogin(client: string): void {
  const failures = isolateMemory.loginFailures
  failures.set(client, (failures.get(client) ?? 0) + 1)
}
