/**
 * The edge's settings, read and checked here and nowhere else: every variable and secret the
 * worker reads, with its default and what it is for, as gpu-node/config.ts does for the node.
 * docs/operating.md's edge table states the same names and defaults
 * (test/docs/settings-documented.test.ts holds the two equal).
 *
 * Defaults live here only. wrangler.toml's [vars] keeps what differs between deployments (where
 * the nodes are), so a default changed here is changed everywhere, and a value in [vars] is
 * always one somebody chose.
 *
 * A value that cannot be used stops the worker: every request, /health included, gets a 503
 * `edge_misconfigured` that names the setting and its rule, and each isolate logs it once (with
 * the value, unless it is a secret). The node refuses to start on a bad value; a worker cannot
 * refuse to start, and this is the nearest it comes. Running on with the default instead would
 * hide the mistake behind a service nobody configured: a timeout of "30s" would quietly be 30000,
 * a rate window given in seconds would have to be guessed at. The repository's own wrangler.toml
 * is checked by edge/config.test.ts, so a typo there fails `npm test` before it is deployed.
 *
 * ADMIN_SECRET alone does not stop the worker: it opens the admin API and nothing else, and that
 * API is off without it by design. An unusable one keeps the admin API off, with a 503
 * `admin_disabled` saying why and a log line once per isolate; the public API goes on.
 */
import type { PoolConfig } from './origin/pool-config.ts'
import { poolRegions } from './origin/pool-config.ts'
import { SettingError } from './setting-error.ts'

/**
 * The settings as the worker receives them: strings from [vars], `wrangler secret put` and
 * `--var`, or a number (or, for NODE_POOLS, an array) where wrangler.toml writes one unquoted.
 * worker-configuration.d.ts (wrangler types) types only what wrangler.toml declares; edge/env.ts
 * adds these to the worker's Env.
 */
export interface EdgeVariables {
  NODE_URL?: string
  NODE_URLS?: string
  NODE_POOLS?: string | unknown[]
  ALLOW_INSECURE_NODE_URLS?: string | number
  NODE_SECRET?: string
  NODE_TIMEOUT_MS?: string | number
  NODE_BREAKER_FAILURES?: string | number
  NODE_BREAKER_COOLDOWN_MS?: string | number
  NODE_HEALTH_INTERVAL_MS?: string | number
  MAX_BODY_BYTES?: string | number
  MAX_REQUEST_TOKENS?: string | number
  ISOLATE_CACHE_BYTES?: string | number
  LEASE_TTL_MS?: string | number
  RATE_WINDOW_MS?: string | number
  USAGE_FLUSH_MS?: string | number
  ADMIN_SECRET?: string
}

const MiB = 1024 * 1024

/** The numeric settings: each one's default, and the range outside which a value is a mistake. */
export const NUMERIC_SETTINGS = {
  /**
   * Milliseconds one request may spend on its node calls, retries on other nodes included; past
   * them the client gets 504.
   */
  NODE_TIMEOUT_MS: { default: 30_000, min: 1 },
  /** Consecutive failures that open a node's circuit breaker. */
  NODE_BREAKER_FAILURES: { default: 3, min: 1 },
  /** Milliseconds an open breaker waits before a half-open probe of the node's /ready. */
  NODE_BREAKER_COOLDOWN_MS: { default: 5_000, min: 1 },
  /** Background checks of the nodes' /ready and /info happen at most this often, in ms. */
  NODE_HEALTH_INTERVAL_MS: { default: 10_000, min: 1 },
  /**
   * The largest request body, in bytes: 2048 inputs of a few thousand characters fit; anything
   * larger is a mistake or abuse, refused with 413 (edge/middleware/body-size.ts).
   */
  MAX_BODY_BYTES: { default: 16 * MiB, min: 1 },
  /** The most tokens one request may have, all inputs together, as OpenAI's API allows. */
  MAX_REQUEST_TOKENS: { default: 300_000, min: 1 },
  /**
   * Bytes of vectors each isolate keeps in memory (edge/cache/isolate-tier.ts): about 15,000
   * of 512 dimensions. At most half the 128 MB isolate: beyond that a busy isolate risks being
   * killed for memory, and a cache is not worth that.
   */
  ISOLATE_CACHE_BYTES: { default: 32 * MiB, min: 1, max: 64 * MiB },
  /**
   * How long, in ms, an isolate admits a tenant's requests on a lease of its budget before
   * asking the tenant's Durable Object again (edge/limits/lease-policy.ts); also how long a
   * revoked key may still be admitted by another isolate. 0: every request asks the object.
   */
  LEASE_TTL_MS: { default: 1_000, min: 0 },
  /**
   * The length of a tenant's rate window in ms: a minute, as the limits, the 429's message and
   * the docs all say (edge/limits/rate-window.ts). Tests set another, to watch windows close.
   * Under a second is refused: a value meant as seconds (60) would lift every limit.
   */
  RATE_WINDOW_MS: { default: 60_000, min: 1_000 },
  /**
   * How long, in ms, an isolate gathers usage before sending it to the tenant's Durable Object
   * in one call (edge/limits/usage-batch.ts). 0: after each request.
   */
  USAGE_FLUSH_MS: { default: 200, min: 0 },
} satisfies Record<string, { default: number; min: number; max?: number }>

type NumericSetting = keyof typeof NUMERIC_SETTINGS

/** Each numeric setting, by its variable's name, as the worker runs with it. */
type NumericSettings = { readonly [Name in NumericSetting]: number }

/** The admin API's secret, or why the admin API is off (its 503 `admin_disabled` says so). */
export type AdminAccess = { secret: string } | { off: string }

export interface EdgeConfig extends NumericSettings {
  /**
   * The inference nodes and how they are called (edge/origin/pool-config.ts):
   * - `NODE_POOLS` (unset): GPU regions as JSON, `[{"region", "lat", "lon", "urls": [...]}]`;
   *   misses go to the nearest region with a node that can take them. Wins over NODE_URLS.
   * - `NODE_URLS` (unset): several nodes, comma- or space-separated, as one region with no place.
   * - `NODE_URL`: else the one node, e.g. http://127.0.0.1:8081. wrangler.toml sets it.
   * - `ALLOW_INSECURE_NODE_URLS` (0): 1 lets a node on another machine be plain http (a private
   *   network); otherwise its texts would cross the network in the clear, so https is required.
   * - `NODE_SECRET` (a secret, required): the HMAC key shared with the nodes, which sign every
   *   answer with it too. At least 16 characters, as the node requires of it.
   * - NODE_TIMEOUT_MS, NODE_BREAKER_FAILURES, NODE_BREAKER_COOLDOWN_MS, NODE_HEALTH_INTERVAL_MS.
   */
  pool: PoolConfig
  /**
   * The pool's identity: each isolate keeps one NodePool (breakers, round trips) for each
   * distinct value (edge/origin/node-pool.ts).
   */
  poolKey: string
  /** `ADMIN_SECRET` (a secret, unset: the admin API is off): the admin API's bearer secret. */
  admin: AdminAccess
}

/** The node refuses a shorter NODE_SECRET (gpu-node/config.ts). */
const MIN_NODE_SECRET_LENGTH = 16

/** Shorter than this, an admin secret is a mistake (or guessable), not a secret. */
const MIN_ADMIN_SECRET_LENGTH = 16

/**
 * What Hono's bearer-auth takes as a token (its TOKEN_STRINGS, RFC 6750's b64token), anchored
 * as it anchors it: an admin secret with any other character could never arrive.
 */
const BEARER_TOKEN = /^[A-Za-z0-9._~+/-]+=*$/

const HOW_TO_SET_ADMIN_SECRET =
  '(`wrangler secret put ADMIN_SECRET`, e.g. the output of `openssl rand -hex 32`)'

/**
 * Each env object's config, or the SettingError that stops it. Keyed by the object itself:
 * workerd hands every request of an isolate the same env object (and a Durable Object its own),
 * so the parse runs once per isolate and a cached request pays one lookup. A test that passes a
 * new object per call gets a new parse, never a stale one; nothing mutates an env object.
 * Isolate-wide, and kept here rather than in edge/isolate/isolate-memory.ts: Node code reads
 * this file too (the docs and manifest tests), and a function of the worker's variables alone
 * holds nothing of any tenant's.
 */
const parsedByEnv = new WeakMap<object, EdgeConfig | SettingError>()

/** The problems this isolate has logged: a handful of fixed lines, each logged once. */
const reported = new Set<string>()

function report(line: string): void {
  if (reported.has(line)) return
  reported.add(line)
  console.error(line)
}

/** The edge's configuration; throws the SettingError (503 `edge_misconfigured`) of a bad value. */
export function edgeConfig(env: EdgeVariables): EdgeConfig {
  let config = parsedByEnv.get(env)
  if (config === undefined) {
    config = parsed(env)
    parsedByEnv.set(env, config)
  }
  if (config instanceof SettingError) throw config
  return config
}

function parsed(env: EdgeVariables): EdgeConfig | SettingError {
  try {
    const numbers = Object.fromEntries(
      Object.keys(NUMERIC_SETTINGS).map((name) => [name, numberFrom(env, name as NumericSetting)]),
    ) as NumericSettings
    const pool: PoolConfig = {
      regions: poolRegions({
        pools: env.NODE_POOLS,
        urls: env.NODE_URLS?.trim() || env.NODE_URL || '',
        allowInsecure: flag('ALLOW_INSECURE_NODE_URLS', env.ALLOW_INSECURE_NODE_URLS),
      }),
      secret: nodeSecretFrom(env),
      timeoutMs: numbers.NODE_TIMEOUT_MS,
      breakerFailures: numbers.NODE_BREAKER_FAILURES,
      breakerCooldownMs: numbers.NODE_BREAKER_COOLDOWN_MS,
      healthIntervalMs: numbers.NODE_HEALTH_INTERVAL_MS,
    }
    // JSON of what was read, not of the raw strings: "3" and 3 are one pool.
    return { ...numbers, pool, poolKey: JSON.stringify(pool), admin: adminAccess(env.ADMIN_SECRET) }
  } catch (err) {
    if (!(err instanceof SettingError)) throw err
    report(err.logLine)
    return err
  }
}

/** An unset (or empty) variable is its default; anything else must be an integer in range. */
function numberFrom(env: EdgeVariables, name: NumericSetting): number {
  const raw = env[name]
  const setting: { default: number; min: number; max?: number } = NUMERIC_SETTINGS[name]
  if (raw === undefined || raw === '') return setting.default
  const value = typeof raw === 'number' ? raw : raw.trim() === '' ? NaN : Number(raw)
  const max = setting.max ?? Number.MAX_SAFE_INTEGER
  if (!Number.isSafeInteger(value) || value < setting.min || value > max) {
    const range = setting.max === undefined ? `≥ ${setting.min}` : `from ${setting.min} to ${max}`
    throw new SettingError(`${name} must be an integer ${range}`, `got '${raw}'`)
  }
  return value
}

function flag(name: string, raw: string | number | undefined): boolean {
  if (raw === undefined || raw === '') return false
  if (String(raw) !== '0' && String(raw) !== '1')
    throw new SettingError(`${name} must be 0 or 1`, `got '${raw}'`)
  return String(raw) === '1'
}

function nodeSecretFrom(env: EdgeVariables): string {
  const secret = env.NODE_SECRET ?? ''
  if (secret.length < MIN_NODE_SECRET_LENGTH) {
    throw new SettingError(
      `NODE_SECRET must be set to the secret the nodes share, at least ${MIN_NODE_SECRET_LENGTH} ` +
        'characters (`wrangler secret put NODE_SECRET`)',
    )
  }
  return secret
}

/**
 * Unset, the admin API is off by design, and nothing is logged. Set but unusable, it is off too,
 * and the operator must learn why rather than meet 401s for the right secret: too short is a
 * mistake (or guessable), not a secret; a character outside the bearer token set can never
 * arrive, since the gate (Hono's bearer-auth) refuses any Authorization header carrying one
 * before comparing. Neither message ever shows the secret.
 */
function adminAccess(secret: string | undefined): AdminAccess {
  let off: string
  if (secret && !BEARER_TOKEN.test(secret)) {
    off =
      'the admin API is off: ADMIN_SECRET has characters a bearer token cannot carry, so no ' +
      `request can present it; use only A-Z a-z 0-9 - . _ ~ + / (and = at the end) ${HOW_TO_SET_ADMIN_SECRET}`
  } else if (!secret || secret.length < MIN_ADMIN_SECRET_LENGTH) {
    off =
      `the admin API is off: set an ADMIN_SECRET of at least ${MIN_ADMIN_SECRET_LENGTH} ` +
      `characters ${HOW_TO_SET_ADMIN_SECRET}`
  } else {
    return { secret }
  }
  if (secret) report(off)
  return { off }
}
