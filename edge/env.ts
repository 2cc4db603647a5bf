/**
 * The worker's bindings and settings, and the per-request values its middleware sets.
 *
 * `Env` is generated: worker-configuration.d.ts, by `npm run types:edge` (wrangler types), from
 * wrangler.toml's bindings and [vars]. The settings wrangler.toml leaves out (the secrets, and
 * every setting left to its default) are added here from edge/config.ts, which reads them all.
 */
import type { EdgeVariables } from './config.ts'
import type { KeyIdentity } from './tenants/tenant-store.ts'
import type { Tenant } from './tenants/tenant.ts'

declare global {
  namespace Cloudflare {
    interface Env extends EdgeVariables {}
  }
}

/** What the runtime passes each request, and `cloudflare:workers` exports as `env`. */
export type Env = Cloudflare.Env

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
