/** The worker's bindings (wrangler.toml) and the per-request values its middleware sets. */
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
  usage?: RequestUsage
}

export type AppEnv = { Bindings: Env; Variables: Variables }
