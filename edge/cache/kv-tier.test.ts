import { describe, expect, it } from 'vitest'
import { vectorToBytes } from '../../shared/vector-codec.ts'
import { countingKv } from '../../test/support/counting-kv.ts'
import { env } from '../../test/support/edge-harness.ts'
import { freshEntry } from './cache-entry.ts'
import { KvBudget } from './kv-budget.ts'
import { readKv, writeKv } from './kv-tier.ts'

/**
 * The KV tier's stored format and its bound on operations, against the real
 * namespace: bit-exact vectors through bulk reads, entries of the previous
 * binary format still served, and nothing past a request's budget.
 */
const vectorOf = (seed: number) =>
  Float32Array.from({ length: 512 }, (_, i) => Math.sin(seed * 1000 + i) / (i + 1))
const entryOf = (seed: number) => freshEntry(vectorOf(seed), 7 + seed, 3600)
const keyOf = (name: string) => `v1:t-kv-tier-unit:model@rev:${name}`

/** What the previous kv-tier wrote: the raw float32 bytes, `{tokens, expires_at}` as metadata. */
async function putBinary(name: string, seed: number): Promise<void> {
  const entry = entryOf(seed)
  await env.VECTOR_CACHE.put(keyOf(name), vectorToBytes(entry.vector), {
    metadata: { tokens: entry.tokens, expires_at: Math.ceil(entry.expiresAt / 1000) },
    expirationTtl: 3600,
  })
}

describe('kv tier', () => {
  it('reads back exactly what it wrote, 100 keys to a bulk read', async () => {
    const names = Array.from({ length: 250 }, (_, i) => `exact-${i}`)
    const budget = new KvBudget()
    await Promise.all(
      names.map((name, i) => writeKv(env.VECTOR_CACHE, keyOf(name), entryOf(i), budget)),
    )
    const { kv, calls } = countingKv(env.VECTOR_CACHE)
    const read = await readKv(kv, [...names, 'exact-absent'].map(keyOf), new KvBudget())
    expect(calls.reads).toBe(3)
    names.forEach((_, i) => {
      expect(read[i]?.vector).toEqual(vectorOf(i))
      expect(read[i]?.tokens).toBe(7 + i)
    })
    expect(read[250]).toBeNull()
  })

  it('still serves entries in the previous binary format, one more read each', async () => {
    await putBinary('binary', 1)
    await writeKv(env.VECTOR_CACHE, keyOf('text'), entryOf(2), new KvBudget())
    const { kv, calls } = countingKv(env.VECTOR_CACHE)
    const [binary, text] = await readKv(kv, [keyOf('binary'), keyOf('text')], new KvBudget())
    expect(binary?.vector).toEqual(vectorOf(1))
    expect(binary?.tokens).toBe(8)
    expect(text?.vector).toEqual(vectorOf(2))
    expect(calls.reads).toBe(2)
  })

  it('writes entries that the previous reader takes for misses', async () => {
    await writeKv(env.VECTOR_CACHE, keyOf('rollout'), entryOf(3), new KvBudget())
    // The previous reader served any binary read whose metadata had a numeric `tokens`.
    const { metadata } = await env.VECTOR_CACHE.getWithMetadata<Record<string, unknown>>(
      keyOf('rollout'),
      'arrayBuffer',
    )
    expect(metadata).not.toBeNull()
    expect(typeof metadata!.tokens).not.toBe('number')
  })

  it("makes no KV call past the request's budget: those keys are misses, those vectors unstored", async () => {
    const names = Array.from({ length: 150 }, (_, i) => `budget-${i}`)
    await Promise.all(
      names.map((name, i) => writeKv(env.VECTOR_CACHE, keyOf(name), entryOf(i), new KvBudget())),
    )
    await putBinary('budget-binary', 4)
    const { kv, calls } = countingKv(env.VECTOR_CACHE)

    const oneRead = await readKv(kv, names.map(keyOf), new KvBudget(1, 0))
    expect(calls.reads).toBe(1)
    expect(oneRead.slice(0, 100).every((entry) => entry !== null)).toBe(true)
    expect(oneRead.slice(100).every((entry) => entry === null)).toBe(true)
    const noSingle = await readKv(kv, [keyOf('budget-binary')], new KvBudget(1, 0))
    expect(calls.reads).toBe(2)
    expect(noSingle).toEqual([null])

    const writes = new KvBudget(0, 1)
    await writeKv(kv, keyOf('budget-new-0'), entryOf(5), writes)
    await writeKv(kv, keyOf('budget-new-1'), entryOf(6), writes)
    expect(calls.writes).toBe(1)
    expect(await env.VECTOR_CACHE.get(keyOf('budget-new-1'))).toBeNull()
  })
})
