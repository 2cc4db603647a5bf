/** The worker's bindings (wrangler.toml) and the per-request values its middleware sets. */
import type { TenantLimiter } from './limits/tenant-limiter.ts'
import type { KeyIdentity } from './tenants/tenant-store.ts'
import type { Tenant } from './tenants/tenant.ts'

export interface Env {
  /** Tenants, hashed API keys and the last model catalog seen from the nodes. */
  CONTROL_KV: KVNamespace
  /** Full-dimension vectors by cache key, with their token count as metadata. */
  VECTOR_CACHE: KVNamespace
  /** Base URL of the inference node, e.g. http://127.0.0.1:8081. */
  NODE_URL: string
  /** Shared HMAC secret for edge → node calls (a Workers secret in production). */
  NODE_SECRET: string
  /** Milliseconds to wait for the node before answering 504. */
  NODE_TIMEOUT_MS?: string
  /** Largest accepted request body in bytes. */
  MAX_BODY_BYTES?: string
  /** Most tokens one request may have, all inputs together (default 300000, as OpenAI's API). */
  MAX_REQUEST_TOKENS?: string
  /** Several inference nodes, comma-separated; unset: NODE_URL alone (edge/origin/pool-config.ts). */
  NODE_URLS?: string
  /**
   * GPU regions as JSON, `[{"region", "lat", "lon", "urls": [...]}]`: misses go to the nearest
   * region with a node that can take them (edge/origin/pool-config.ts); wins over NODE_URLS.
   */
  NODE_POOLS?: string | unknown[]
  /** "1": plain http to a non-loopback node is allowed (a private network); else https is required. */
  ALLOW_INSECURE_NODE_URLS?: string
  /** Consecutive failures that open a node's circuit breaker (default 3). */
  NODE_BREAKER_FAILURES?: string
  /** Milliseconds an open breaker waits before a half-open probe of the node's /ready (default 5000). */
  NODE_BREAKER_COOLDOWN_MS?: string
  /** Milliseconds between background health checks of the nodes' /ready and /info (default 10000). */
  NODE_HEALTH_INTERVAL_MS?: string
  /** Bytes of vectors each isolate keeps in memory (default 32 MiB of the 128 MB isolate). */
  ISOLATE_CACHE_BYTES?: string
  /** How long an isolate admits on a lease before asking the tenant's object again (edge/limits/lease-policy.ts). */
  LEASE_TTL_MS?: string
  /**
   * Tests only: the rate window's length in milliseconds (default 60000); limits are per minute
   * (edge/limits/rate-window.ts).
   */
  RATE_WINDOW_MS?: string
  /** How long usage is gathered in an isolate before one call sends it (edge/limits/usage-batch.ts). */
  USAGE_FLUSH_MS?: string
  /** One Durable Object per tenant: rate limits, usage counters, revoked keys. */
  TENANT_LIMITER: DurableObjectNamespace<TenantLimiter>
  /** Bearer secret of the admin API (a Workers secret); the admin API is off without it. */
  ADMIN_SECRET?: string
}

/** What one embeddings request consumed; set by the route, read by usage and rate-limit middleware. */
export interface RequestUsage {
  /** Tokens of every input, cached ones included (what `usage.total_tokens` reports). */
  tokens: number
  /** Distinct inputs answered from the cache, and sent to a node. */
  cacheHits: number
  cacheMisses: number
}

export interface Variables {
  tenant: Tenant
  /** The key that authenticated the request. */
  apiKey: KeyIdentity
  usage?: RequestUsage
  /**
   * Set by the limits middleware: charges the tenant's token budget `tokens` (an upper bound)
   * before the request does any work; 429 if the budget cannot take it. Settled after the route.
   */
  reserveTokens?: (tokens: number) => Promise<void>
}

export type AppEnv = { Bindings: Env; Variables: Variables }
