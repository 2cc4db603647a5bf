/**
 * The origin pool's settings, read from the worker's bindings with a default
 * for each. NODE_URLS lists the inference nodes (comma- or space-separated);
 * without it the pool is NODE_URL alone, as a single-node deployment has it.
 */
import { ApiError } from '../../shared/errors.ts'
import type { Env } from '../env.ts'
import { positiveVar } from '../env-vars.ts'

export interface PoolConfig {
  urls: string[]
  secret: string
  /** Budget for one request's node calls, retries included; past it the client gets 504. */
  timeoutMs: number
  /** Consecutive failures that open a node's breaker. */
  breakerFailures: number
  /** How long an open breaker waits before a half-open probe. */
  breakerCooldownMs: number
  /** How often, at most, the nodes' /ready and /info are checked in the background. */
  healthIntervalMs: number
}

function nodeUrls(env: Env): string[] {
  const listed = (env.NODE_URLS?.trim() || env.NODE_URL || '').split(/[\s,]+/).filter(Boolean)
  const urls = [...new Set(listed)]
  const bad = urls.find((url) => !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
  if (urls.length === 0 || bad !== undefined) {
    console.error(
      `NODE_URLS / NODE_URL: ${bad === undefined ? 'no node URL' : `'${bad}' is not an http(s) URL`}`,
    )
    throw new ApiError(503, 'no inference node is configured; this is a deployment fault', {
      code: 'origin_misconfigured',
    })
  }
  return urls
}

export function poolConfig(env: Env): PoolConfig {
  return {
    urls: nodeUrls(env),
    secret: env.NODE_SECRET,
    timeoutMs: positiveVar(env.NODE_TIMEOUT_MS, 30_000),
    breakerFailures: Math.floor(positiveVar(env.NODE_BREAKER_FAILURES, 3)),
    breakerCooldownMs: positiveVar(env.NODE_BREAKER_COOLDOWN_MS, 5_000),
    healthIntervalMs: positiveVar(env.NODE_HEALTH_INTERVAL_MS, 10_000),
  }
}

/**
 * Every variable poolConfig reads, as one string: each request finds its pool by this key,
 * and comparing the raw strings costs far less than parsing and checking the node URLs again.
 * (JSON, not a join: a separator could also occur inside a value.)
 */
export function poolConfigKey(env: Env): string {
  return JSON.stringify([
    env.NODE_URLS,
    env.NODE_URL,
    env.NODE_SECRET,
    env.NODE_TIMEOUT_MS,
    env.NODE_BREAKER_FAILURES,
    env.NODE_BREAKER_COOLDOWN_MS,
    env.NODE_HEALTH_INTERVAL_MS,
  ])
}
