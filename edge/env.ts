/**
 * The worker's bindings and settings, and the per-request values its middleware sets.
 *
 * `Env` is generated: worker-configuration.d.ts, by `npm run types:edge` (wrangler types), from
 * wrangler.toml's bindings and [vars]. The settings wrangler.toml leaves out (the secrets, and
 * every setting left to its default) are added here from edge/config.ts, which reads them all.
 */
import type { EdgeVariables } from './config.ts'
import type { RequestUsage } from './limits/usage-counters.ts'
import type { KeyIdentity } from './tenants/tenant-store.ts'
import type { Tenant } from './tenants/tenant.ts'

declare global {
  namespace Cloudflare {
    interface Env extends EdgeVariables {}
  }
}

/** What the runtime passes each request, and `cloudflare:workers` exports as `env`. */
export type Env = Cloudflare.Env

// Defined with the counters it adds to, which the admin API's types (and the keys CLI, in
// Node) read; the app's middleware and routes take it from here with the app's other types.
export type { RequestUsage }

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
