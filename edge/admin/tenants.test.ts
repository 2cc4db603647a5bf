import { describe, expect, it } from 'vitest'
import type { TenantList, TenantView } from './api-types.ts'
import { admin, callAdmin, tenantWithKey } from '../../test/support/admin-harness.ts'
import { DEFAULT_MODEL, postEmbeddings } from '../../test/support/edge-harness.ts'

async function expectBadRequest(response: Response, param: string) {
  const text = await response.text()
  expect(response.status, text).toBe(400)
  expect(JSON.parse(text).error.param).toBe(param)
}

describe('admin API: tenants', () => {
  it('creates a tenant with every field, filling in the defaults', async () => {
    const created = await admin<TenantView>(
      'POST',
      '/tenants',
      {
        id: 'acme',
        name: 'Acme',
        allowed_models: [DEFAULT_MODEL],
        max_dimensions: 256,
        templates: {
          support: { id: 'support', query: 'Support question: {text}', document: '{text}' },
        },
        default_template: 'support',
        cache_scope: 'shared',
        cache_ttl_seconds: 3600,
        limits: { requests_per_minute: 600 },
      },
      201,
    )
    expect(created).toMatchObject({
      id: 'acme',
      max_dimensions: 256,
      cache_scope: 'shared',
      limits: { requests_per_minute: 600, tokens_per_minute: null },
    })
    expect(await admin<TenantView>('GET', '/tenants/acme')).toEqual(created)
    expect((await admin<TenantList>('GET', '/tenants')).data).toContain('acme')

    const bare = await admin<TenantView>('POST', '/tenants', { id: 'bare' }, 201)
    expect(bare).toMatchObject({
      allowed_models: ['*'],
      max_dimensions: null,
      cache_scope: 'tenant',
      limits: { requests_per_minute: null, tokens_per_minute: null },
    })
  })

  it('refuses a duplicate id with 409 and bad fields with 400 naming them', async () => {
    await admin('POST', '/tenants', { id: 'dup' }, 201)
    expect((await callAdmin('POST', '/tenants', { id: 'dup' })).status).toBe(409)
    await expectBadRequest(await callAdmin('POST', '/tenants', { id: 'has space' }), 'id')
    await expectBadRequest(await callAdmin('POST', '/tenants', {}), 'id')
    await expectBadRequest(
      await callAdmin('POST', '/tenants', { id: 'x1', cache_scope: 'world' }),
      'cache_scope',
    )
    await expectBadRequest(
      await callAdmin('POST', '/tenants', { id: 'x2', limits: { requests_per_minute: 0 } }),
      'limits.requests_per_minute',
    )
    await expectBadRequest(await callAdmin('POST', '/tenants', { id: 'x3', rpm: 5 }), 'rpm')
    const notJson = await callAdmin('POST', '/tenants', undefined)
    expect(notJson.status).toBe(400)
  })

  it('updates by merging: limits field by field, null back to the default, the id fixed', async () => {
    await admin(
      'POST',
      '/tenants',
      {
        id: 'merge',
        name: 'Before',
        limits: { requests_per_minute: 10, tokens_per_minute: 1000 },
        max_dimensions: 128,
      },
      201,
    )
    const updated = await admin<TenantView>('PATCH', '/tenants/merge', {
      name: 'After',
      limits: { tokens_per_minute: 5000 },
      max_dimensions: null,
    })
    expect(updated).toMatchObject({
      name: 'After',
      limits: { requests_per_minute: 10, tokens_per_minute: 5000 },
      max_dimensions: null,
    })
    expect(await admin<TenantView>('GET', '/tenants/merge')).toEqual(updated)
    await expectBadRequest(await callAdmin('PATCH', '/tenants/merge', { id: 'other' }), 'id')
    await expectBadRequest(
      await callAdmin('PATCH', '/tenants/merge', { cache_ttl_seconds: 5 }),
      'cache_ttl_seconds',
    )
    expect((await callAdmin('PATCH', '/tenants/nobody', { name: 'x' })).status).toBe(404)
    expect((await callAdmin('GET', '/tenants/nobody')).status).toBe(404)
  })

  it('applies an update to the keys of the tenant: a model taken away is refused', async () => {
    const { key } = await tenantWithKey({ id: 'narrowed' })
    const body = { model: DEFAULT_MODEL, input: 'tenants: narrowing' }
    expect((await postEmbeddings(body, { key })).status).toBe(200)
    await admin('PATCH', '/tenants/narrowed', { allowed_models: ['another-model'] })
    expect((await postEmbeddings(body, { key })).status).toBe(403)
  })
})
