/**
 * Answers remembered by request body (response-memo.ts): the same bytes as the full path, and
 * never once the answer the full path would give has changed.
 */
import { describe, expect, it } from 'vitest'
import type { CreatedKey } from '../admin/api-types.ts'
import { admin, tenantWithKey } from '../../test/support/admin-harness.ts'
import { DEFAULT_MODEL, postEmbeddings } from '../../test/support/edge-harness.ts'
import { clearIsolateCache } from '../cache/isolate-tier.ts'

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

  it('is not used once its vectors have left the isolate: a fresh isolate reads the tiers again', async () => {
    const { key } = await tenantWithKey({ id: 'memo-fresh' })
    const body = JSON.stringify({ model: DEFAULT_MODEL, input: 'memo: fresh isolate' })
    const first = await post(key, body)
    clearIsolateCache()
    const response = await postEmbeddings(body, { key })
    // Answered from a lower tier (and promoted again), with the same vector.
    expect(response.headers.get('server-timing')).toMatch(/cache/)
    expect(await response.text()).toBe(first.text)
  })
})
