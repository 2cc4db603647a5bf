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

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]'])

function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname)
}

/** Why a node URL cannot be used (without the URL: clients read it), or null. */
function urlProblem(url: string, allowInsecure: boolean): string | null {
  if (!URL.canParse(url)) return 'a node URL is not a URL'
  const parsed = new URL(url)
  if (parsed.protocol === 'https:') return null
  if (parsed.protocol !== 'http:') return 'a node URL is not http(s)'
  if (isLoopback(parsed) || allowInsecure) return null
  // Signatures keep requests and vectors authentic, but the texts would travel in the clear.
  return (
    'a node URL is plain http to another machine, so texts would cross the network ' +
    'unencrypted: use https, or set ALLOW_INSECURE_NODE_URLS=1 on a private network'
  )
}

function nodeUrls(env: Env): string[] {
  const listed = (env.NODE_URLS?.trim() || env.NODE_URL || '').split(/[\s,]+/).filter(Boolean)
  const urls = [...new Set(listed)]
  const allowInsecure = env.ALLOW_INSECURE_NODE_URLS === '1'
  const bad = urls.find((url) => urlProblem(url, allowInsecure) !== null)
  const problem = urls.length === 0 ? 'no node URL is set' : bad && urlProblem(bad, allowInsecure)
  if (problem) {
    console.error(`NODE_URLS / NODE_URL: ${problem}${bad ? ` ('${bad}')` : ''}`)
    throw new ApiError(503, `no usable inference node is configured: ${problem}`, {
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
    env.ALLOW_INSECURE_NODE_URLS,
    env.NODE_SECRET,
    env.NODE_TIMEOUT_MS,
    env.NODE_BREAKER_FAILURES,
    env.NODE_BREAKER_COOLDOWN_MS,
    env.NODE_HEALTH_INTERVAL_MS,
  ])
}
