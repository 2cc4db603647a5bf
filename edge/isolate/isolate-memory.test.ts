/**
 * The one reset for tests (isolate-memory.ts) leaves nothing of what the isolate remembered:
 * every piece is filled, seen to hold something, and seen empty after the reset. A piece added
 * to the memory without a line here fails the first test.
 */
import { describe, expect, it } from 'vitest'
import type { ModelInfo } from '../../shared/node-protocol.ts'
import { freshEntry } from '../cache/cache-entry.ts'
import type { NodePool } from '../origin/node-pool.ts'
import { TenantSchema } from '../tenants/tenant.ts'
import {
  isolateMemory,
  isolateVectors,
  resetIsolateMemory,
  type IsolateMemory,
} from './isolate-memory.ts'

const tenant = TenantSchema.parse({ id: 'isolate-memory' })
const vector = new Float32Array([0.6, 0.8])
const noUsage = { tokens: 0, cacheHits: 0, cacheMisses: 0 }
const flush = { delayMs: 0, send: async () => {} }

/** How to put something in each piece, and whether it holds anything now (without emptying it). */
const pieces: Record<keyof IsolateMemory, { fill: () => void; holds: () => boolean }> = {
  vectors: {
    fill: () => isolateVectors(1024 * 1024).set('key', freshEntry(vector, 3, 3600)),
    holds: () => (isolateMemory.vectors?.size ?? 0) > 0,
  },
  inFlight: {
    fill: () => isolateMemory.inFlight.set('key', new Promise(() => {})),
    holds: () => isolateMemory.inFlight.size > 0,
  },
  answers: {
    fill: () =>
      isolateMemory.answers.set('body', {
        tenant,
        model: 'm',
        revision: 'r',
        vectors: new Map([['key', vector]]),
        json: '{}',
        tokens: 3,
      }),
    holds: () => isolateMemory.answers.size > 0,
  },
  embeddingJson: {
    fill: () => isolateMemory.embeddingJson.set('key|2|float', { vector, json: '[0.6,0.8]' }),
    holds: () => isolateMemory.embeddingJson.size > 0,
  },
  tenantTags: {
    fill: () => isolateMemory.tenantTags.set(tenant, Promise.resolve('tag')),
    holds: () => isolateMemory.tenantTags.has(tenant),
  },
  credentials: {
    fill: () =>
      isolateMemory.credentials.set('sk-key', {
        tenant,
        key: { id: 'k', prefix: 'sk-', hash: 'h' },
      }),
    holds: () => isolateMemory.credentials.size > 0,
  },
  tenantObjects: {
    fill: () => isolateMemory.tenantObjects.set(tenant.id, { text: '{}', tenant }),
    holds: () => isolateMemory.tenantObjects.size > 0,
  },
  refusedKeys: {
    fill: () => isolateMemory.refusedKeys.set('hash', true),
    holds: () => isolateMemory.refusedKeys.size > 0,
  },
  admissionLeases: {
    // An ask for a lease under way: a second one is not made.
    fill: () => isolateMemory.admissionLeases.request(tenant.id, 0),
    holds: () => isolateMemory.admissionLeases.request(tenant.id, 1) === undefined,
  },
  usageBatcher: {
    // A batch open: adding to it opens none.
    fill: () => isolateMemory.usageBatcher.add(tenant.id, 'k', noUsage, null, null, flush),
    holds: () =>
      isolateMemory.usageBatcher.add(tenant.id, 'k', noUsage, null, null, flush) === null,
  },
  nodePools: {
    fill: () => isolateMemory.nodePools.set('configuration', {} as NodePool),
    holds: () => isolateMemory.nodePools.size > 0,
  },
  catalog: {
    fill: () => {
      isolateMemory.catalog.seen = [{ id: 'm' } as ModelInfo]
      isolateMemory.catalog.snapshot = '[{"id":"m"}]'
    },
    holds: () => isolateMemory.catalog.seen !== null || isolateMemory.catalog.snapshot !== '',
  },
  loginFailures: {
    fill: () => isolateMemory.loginFailures.set('203.0.113.1', 1),
    holds: () => isolateMemory.loginFailures.size > 0,
  },
}

const holding = () =>
  Object.entries(pieces)
    .filter(([, piece]) => piece.holds())
    .map(([name]) => name)

describe('resetIsolateMemory', () => {
  it('is checked here for every piece of the memory', () => {
    expect(Object.keys(pieces).sort()).toEqual(Object.keys(isolateMemory).sort())
  })

  it('forgets every piece at once, as a fresh isolate starts', () => {
    for (const piece of Object.values(pieces)) piece.fill()
    expect(holding()).toEqual(Object.keys(pieces))
    resetIsolateMemory()
    expect(holding()).toEqual([])
  })
})
