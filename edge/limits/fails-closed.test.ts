/**
 * The rate limiter fails closed: when the tenant's Durable Object cannot be
 * reached and the isolate must ask it (to admit a request, or to reserve
 * tokens no lease has room for), the client gets 503 `limiter_unavailable`
 * with `Retry-After: 1`, never an unmetered answer. The object is made
 * unreachable by a TENANT_LIMITER binding whose stubs reject, as a stub does
 * when the object's location cannot be reached.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import type { Env } from '../env.ts'
import { DEFAULT_MODEL, env, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import { isolateMemory } from '../isolate/isolate-memory.ts'

const open = { id: 'fails-closed', key: 'sk-test-fails-closed-0001' }
// 1000 tokens a minute: a lease may reserve a tenth, 100, so a request of 256 asks the object.
const metered = { id: 'fails-closed-tpm', key: 'sk-test-fails-closed-tpm-0001' }

const unreachable = () => Promise.reject(new Error('Network connection lost.'))

type Stub = ReturnType<Env['TENANT_LIMITER']['get']>

/** The real namespace, but the stub methods named in `failing` reject. */
function limiterFailing(...failing: (keyof Stub & string)[]): Partial<Env> {
  const real = env.TENANT_LIMITER
  const namespace = {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = real.get(id)
      return new Proxy(stub, {
        get: (target, property) =>
          failing.includes(property as keyof Stub & string)
            ? unreachable
            : Reflect.get(target, property),
      })
    },
  }
  return { TENANT_LIMITER: namespace as unknown as Env['TENANT_LIMITER'] }
}

async function embed(key: string, input: string | string[], overrides: Partial<Env> = {}) {
  const response = await postEmbeddings({ model: DEFAULT_MODEL, input }, { key, overrides })
  const json = (await response.json()) as { error?: { code: string } }
  return { status: response.status, retryAfter: response.headers.get('retry-after'), json }
}

beforeEach(async () => {
  await seedTenant({ id: open.id }, open.key)
  await seedTenant(
    { id: metered.id, limits: { requests_per_minute: null, tokens_per_minute: 1000 } },
    metered.key,
  )
})

describe('the tenant limiter, unreachable', () => {
  it('refuses a request it must admit with 503 limiter_unavailable and Retry-After: 1', async () => {
    const input = `fails closed: admission ${crypto.randomUUID()}`
    const refused = await embed(open.key, input, limiterFailing('admit'))
    expect(refused.status).toBe(503)
    expect(refused.json.error?.code).toBe('limiter_unavailable')
    expect(refused.retryAfter).toBe('1')

    // The same request, once the object answers again: served (the refusal was the limiter's).
    isolateMemory.admissionLeases.forget(open.id)
    expect((await embed(open.key, input)).status).toBe(200)
  })

  it('refuses a request whose tokens it must reserve through the object, even once admitted', async () => {
    // Admitted by the object, with a lease of 100 tokens: reserving 2 × 128 asks it again.
    const inputs = [0, 1].map((i) => `fails closed: reserve ${i} ${'x'.repeat(200)}`)
    const refused = await embed(metered.key, inputs, limiterFailing('reserve'))
    expect(refused.status).toBe(503)
    expect(refused.json.error?.code).toBe('limiter_unavailable')
    expect(refused.retryAfter).toBe('1')

    isolateMemory.admissionLeases.forget(metered.id)
    expect((await embed(metered.key, inputs)).status).toBe(200)
  })
})
