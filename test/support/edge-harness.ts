/**
 * Calls the edge worker inside workerd the way the runtime does, with real KV
 * and a real execution context, and waits for its `waitUntil` work (cache
 * writes) so that the next call sees them. Bindings can be overridden per
 * call, e.g. to point NODE_URL at a dead or stalling node.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env as workerEnv } from 'cloudflare:workers'
import app from '../../edge/index.ts'
import type { Env } from '../../edge/env.ts'
import { isolateMemory } from '../../edge/isolate/isolate-memory.ts'
import { tenantWithKeyEntries } from '../../edge/tenants/tenant-records.ts'
import { writeEntries } from '../../edge/tenants/tenant-store.ts'
import type { Tenant } from '../../edge/tenants/tenant.ts'

export const env: Env = workerEnv

export async function callEdge(
  path: string,
  init: RequestInit = {},
  overrides: Partial<Env> = {},
): Promise<Response> {
  const { response, settled } = await startEdgeCall(path, init, overrides)
  await settled
  return response
}

/**
 * The response alone, for a test that acts while the request's `waitUntil` work still runs
 * (a lease it got still lives until its time is up); `settled` resolves when that work is done.
 */
export async function startEdgeCall(
  path: string,
  init: RequestInit = {},
  overrides: Partial<Env> = {},
): Promise<{ response: Response; settled: Promise<void> }> {
  const ctx = createExecutionContext()
  const response = await app.fetch(
    new Request(`http://edge.test${path}`, init),
    { ...env, ...overrides },
    ctx,
  )
  return { response, settled: waitOnExecutionContext(ctx) }
}

export function postEmbeddings(
  body: unknown,
  options: {
    key?: string
    overrides?: Partial<Env>
    headers?: Record<string, string>
    /** What Cloudflare says of the request, e.g. the colo's `latitude` and `longitude`. */
    cf?: Record<string, unknown>
  } = {},
): Promise<Response> {
  return callEdge(
    '/v1/embeddings',
    {
      method: 'POST',
      ...(options.cf ? { cf: options.cf } : {}),
      headers: {
        'content-type': 'application/json',
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        ...options.headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    },
    options.overrides,
  )
}

/** Writes a tenant and one key for it into the real CONTROL_KV. */
export async function seedTenant(
  tenant: Partial<Tenant> & Pick<Tenant, 'id'>,
  apiKey: string,
): Promise<void> {
  // Through the store, which tells this isolate's caches itself.
  await writeEntries(env.CONTROL_KV, await tenantWithKeyEntries(tenant, apiKey))
  isolateMemory.admissionLeases.forget(tenant.id)
}

export interface EmbeddingsBody {
  data: { index: number; embedding: number[] | string }[]
  model: string
  usage: { prompt_tokens: number; total_tokens: number }
}

export const DEFAULT_MODEL = 'use-lite-en'

export { cosine } from '../../shared/cosine.ts'
