/**
 * Answers remembered by request body (response-memo.ts): the same bytes as the full path, and
 * never once the answer the full path would give has changed, nor for another tenant or vector
 * object than it was written from (the same-object rule, edge/isolate/isolate-memory.ts); bodies
 * over 64 KiB are not remembered.
 */
import { describe, expect, it } from 'vitest'
import type { CreatedKey } from '../admin/api-types.ts'
import { admin, tenantWithKey } from '../../test/support/admin-harness.ts'
import {
  DEFAULT_MODEL,
  env,
  postEmbeddings,
  type EmbeddingsBody,
} from '../../test/support/edge-harness.ts'
import { freshEntry } from '../cache/cache-entry.ts'
import { writeIsolate } from '../cache/isolate-tier.ts'
import { resetIsolateMemory } from '../isolate/isolate-memory.ts'
import { TenantSchema, type Tenant } from '../tenants/tenant.ts'
import { recallAnswer, rememberAnswer } from './response-memo.ts'

async function post(key: string, body: string) {
  const response = await postEmbeddings(body, { key })
  const text = await response.text()
  expect(response.status, text).toBe(200)
  return {
    text,
    cache: response.headers.get('x-cache'),
    // Which steps ran: the full path looks the vectors up (`cache`), a remembered answer does not.
    lookedUp: /\bcache\b/.test(response.headers.get('server-timing') ?? ''),
  }
}

describe('a request body answered again', () => {
  it('gets the same bytes as the first answer, and as the full path gives', async () => {
    const { key } = await tenantWithKey({ id: 'memo-bytes' })
    const body = JSON.stringify({ model: DEFAULT_MODEL, input: ['memo: one', 'memo: two'] })
    const first = await post(key, body)
    const again = await post(key, body)
    expect(again).toEqual({ text: first.text, cache: 'hit', lookedUp: false })
    expect(first.lookedUp).toBe(true)
    // The same request written differently is not the same body: it takes the full path.
    const reordered = JSON.stringify({ input: ['memo: one', 'memo: two'], model: DEFAULT_MODEL })
    expect(await post(key, reordered)).toEqual({ text: first.text, cache: 'hit', lookedUp: true })
  })

  it('is shared by the keys of one tenant (rotation: old and new key in use together)', async () => {
    const { key: oldKey } = await tenantWithKey({ id: 'memo-two-keys' })
    const { key: newKey } = await admin<CreatedKey>(
      'POST',
      '/tenants/memo-two-keys/keys',
      { name: 'second' },
      201,
    )
    const body = JSON.stringify({ model: DEFAULT_MODEL, input: 'memo: one tenant, two keys' })
    const first = await post(oldKey, body)
    expect(first.lookedUp).toBe(true)
    expect(await post(newKey, body)).toEqual({ text: first.text, cache: 'hit', lookedUp: false })
    expect(await post(oldKey, body)).toEqual({ text: first.text, cache: 'hit', lookedUp: false })
  })

  it('follows a change of the tenant at once: a new dimensions cap applies to the same body', async () => {
    const { key } = await tenantWithKey({ id: 'memo-tenant' })
    const body = JSON.stringify({ model: DEFAULT_MODEL, input: 'memo: capped later' })
    const full = JSON.parse((await post(key, body)).text)
    expect(full.data[0].embedding).toHaveLength(512)
    await admin('PATCH', '/tenants/memo-tenant', { max_dimensions: 64 })
    const capped = JSON.parse((await post(key, body)).text)
    expect(capped.data[0].embedding).toHaveLength(64)
  })

  it('is gone in a fresh isolate: the tiers are read again, for the same answer', async () => {
    const { key } = await tenantWithKey({ id: 'memo-fresh' })
    const body = JSON.stringify({ model: DEFAULT_MODEL, input: 'memo: fresh isolate' })
    const first = await post(key, body)
    resetIsolateMemory()
    const response = await postEmbeddings(body, { key })
    // Answered from a lower tier (and promoted again), with the same vector.
    expect(response.headers.get('server-timing')).toMatch(/cache/)
    expect(await response.text()).toBe(first.text)
  })
})

const KIB = 1024

describe('the same-object rule', () => {
  const revisionOf = async () => 'r1'
  /** An answer over one vector that the isolate tier holds, so it is recallable while kept. */
  function rememberOver(tenant: Tenant, cacheKey: string, body: string) {
    const entry = freshEntry(new Float32Array([0.6, 0.8]), 3, 3600)
    writeIsolate(env, cacheKey, entry)
    const vectors = new Map([[cacheKey, entry.vector]])
    const json = `{"answer":${JSON.stringify(body)}}`
    rememberAnswer(body, { tenant, model: DEFAULT_MODEL, revision: 'r1', vectors, json, tokens: 3 })
    return json
  }

  it('replays an answer only while the isolate tier holds the very vector it was written from', async () => {
    const tenant = TenantSchema.parse({ id: 'memo-same-vector' })
    const json = rememberOver(tenant, 'memo-same-vector:key', 'same vector')
    expect(await recallAnswer(env, tenant, 'same vector', revisionOf)).toMatchObject({ json })
    // Evicted and read again from a lower tier: an equal vector, but another object.
    writeIsolate(env, 'memo-same-vector:key', freshEntry(new Float32Array([0.6, 0.8]), 3, 3600))
    expect(await recallAnswer(env, tenant, 'same vector', revisionOf)).toBeNull()
  })

  it('replays an answer only for the very tenant object it was answered for', async () => {
    const tenant = TenantSchema.parse({ id: 'memo-same-tenant' })
    const json = rememberOver(tenant, 'memo-same-tenant:key', 'same tenant')
    expect(await recallAnswer(env, tenant, 'same tenant', revisionOf)).toMatchObject({ json })
    // The same record read again as another object: what the tenant store makes when it changed.
    const copy = TenantSchema.parse({ id: 'memo-same-tenant' })
    expect(await recallAnswer(env, copy, 'same tenant', revisionOf)).toBeNull()
  })
})

/**
 * A request body of exactly `length` characters: one input many times over (computed once),
 * and one input whose length makes up the rest. At 64 dimensions the answer stays under 1 MiB:
 * a larger one would be streamed, and a streamed answer is never remembered, whatever the body.
 */
function bodyOfLength(length: number): { body: string; inputs: number } {
  const input = 'memo: the same input, many times over, in a long body'
  const bodyWith = (count: number, padding = '') =>
    JSON.stringify({
      model: DEFAULT_MODEL,
      dimensions: 64,
      input: [...Array<string>(count).fill(input), `memo: padding${padding}`],
    })
  // Each repeat adds the input, its quotes and a comma.
  const count = Math.floor((length - bodyWith(0).length) / (input.length + 3))
  const body = bodyWith(count, '.'.repeat(length - bodyWith(count).length))
  expect(body).toHaveLength(length)
  return { body, inputs: count + 1 }
}

describe('a body past 64 KiB', () => {
  it('is answered in full each time, with the same answer, where one of 64 KiB is answered from memory', async () => {
    const { key } = await tenantWithKey({ id: 'memo-long-body' })
    const atLimit = bodyOfLength(64 * KIB)
    const remembered = await post(key, atLimit.body)
    expect(await post(key, atLimit.body)).toEqual({
      text: remembered.text,
      cache: 'hit',
      lookedUp: false,
    })

    const past = bodyOfLength(64 * KIB + 1)
    const first = await post(key, past.body)
    expect(first.lookedUp).toBe(true)
    expect(await post(key, past.body)).toEqual({ text: first.text, cache: 'hit', lookedUp: true })
    const { data } = JSON.parse(first.text) as EmbeddingsBody
    expect(data.map((d) => d.index)).toEqual([...Array(past.inputs).keys()])
    // The repeated input gets its one vector at every position, as in the body of 64 KiB.
    const repeated = (JSON.parse(remembered.text) as EmbeddingsBody).data[0].embedding as number[]
    expect(repeated).toHaveLength(64)
    expect(Math.hypot(...repeated)).toBeCloseTo(1, 5)
    for (const { embedding } of data.slice(0, -1)) expect(embedding).toEqual(repeated)
  })
})

describe('the memo past 64 KiB of body', () => {
  const tenant = TenantSchema.parse({ id: 'memo-unit' })
  const revisionOf = async () => 'r1'
  /** An answer over one vector that the isolate tier holds, so it is recallable while kept. */
  function answerOver(cacheKey: string, json: string) {
    const entry = freshEntry(new Float32Array([0.6, 0.8]), 3, 3600)
    writeIsolate(env, cacheKey, entry)
    const vectors = new Map([[cacheKey, entry.vector]])
    return { tenant, model: DEFAULT_MODEL, revision: 'r1', vectors, json, tokens: 3 }
  }

  it('remembers and recalls the answer to a body of 64 KiB, not to a longer one', async () => {
    const atLimit = 'a'.repeat(64 * KIB)
    rememberAnswer(atLimit, answerOver('memo-unit:at-limit', '{"answer":"at the limit"}'))
    expect(await recallAnswer(env, tenant, atLimit, revisionOf)).toEqual({
      json: '{"answer":"at the limit"}',
      usage: { tokens: 3, cacheHits: 1, cacheMisses: 0 },
    })
    const past = 'a'.repeat(64 * KIB + 1)
    rememberAnswer(past, answerOver('memo-unit:past', '{"answer":"past the limit"}'))
    expect(await recallAnswer(env, tenant, past, revisionOf)).toBeNull()
  })

  it('keeps the answers to short bodies however many long ones are answered', async () => {
    const short = '{"input":"memo: short"}'
    rememberAnswer(short, answerOver('memo-unit:short', '{"answer":"short"}'))
    // 16 MiB of long bodies, twice what the memo holds: remembered, they would push it out.
    const long = answerOver('memo-unit:long', '{"answer":"long"}')
    for (let i = 0; i < 256; i++) rememberAnswer(`${i}:${'b'.repeat(64 * KIB)}`, long)
    expect(await recallAnswer(env, tenant, short, revisionOf)).toMatchObject({
      json: '{"answer":"short"}',
    })
  })
})
