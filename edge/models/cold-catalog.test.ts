/**
 * An isolate's first requests, all at once, before it has read any node's /info: each must wait
 * for that first read rather than find no models and be refused. This file's isolate has seen
 * no catalog (the isolate's memory is per test file), and the control KV given to it holds no
 * snapshot.
 */
import { describe, expect, it } from 'vitest'
import { callEdge, env, seedTenant } from '../../test/support/edge-harness.ts'
import type { Env } from '../env.ts'

/** A control KV with the tenant's key and nothing else: no catalog snapshot to fall back on. */
function controlKvWithoutSnapshot(): KVNamespace {
  const real = env.CONTROL_KV
  return new Proxy(real, {
    get(target, property) {
      if (property === 'get')
        return (key: string, ...rest: unknown[]) =>
          key.startsWith('catalog:')
            ? Promise.resolve(null)
            : (target.get as (...args: unknown[]) => unknown)(key, ...rest)
      const value = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

describe("an isolate's first, concurrent requests", () => {
  it('all wait for the first read of the nodes and are answered', async () => {
    await seedTenant({ id: 'cold-catalog' }, 'sk-test-cold-catalog')
    const overrides: Partial<Env> = { CONTROL_KV: controlKvWithoutSnapshot() }
    const statuses = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const response = await callEdge(
          '/v1/models',
          { headers: { authorization: 'Bearer sk-test-cold-catalog' } },
          overrides,
        )
        return response.status
      }),
    )
    expect(statuses).toEqual(Array(30).fill(200))
  })
})
