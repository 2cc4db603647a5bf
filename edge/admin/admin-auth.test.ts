import { describe, expect, it, vi } from 'vitest'
import { TEST_ADMIN_SECRET, callAdmin, tenantWithKey } from '../../test/support/admin-harness.ts'
import { callEdge } from '../../test/support/edge-harness.ts'

async function expectRefused(response: Response, status: number, code: string) {
  const text = await response.text()
  expect(response.status, text).toBe(status)
  expect(JSON.parse(text).error.code).toBe(code)
}

describe('the admin API secret', () => {
  it('lets the right secret in', async () => {
    const response = await callAdmin('GET', '/tenants')
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  it('refuses a missing or wrong secret, and a tenant API key, with 401', async () => {
    await expectRefused(
      await callAdmin('GET', '/tenants', undefined, { secret: null }),
      401,
      'invalid_admin_secret',
    )
    await expectRefused(
      await callAdmin('GET', '/tenants', undefined, { secret: `${TEST_ADMIN_SECRET}x` }),
      401,
      'invalid_admin_secret',
    )
    await expectRefused(
      await callAdmin('GET', '/tenants', undefined, { secret: TEST_ADMIN_SECRET.slice(0, -1) }),
      401,
      'invalid_admin_secret',
    )
    // A tenant's key, good for the API it was made for, opens nothing here.
    const { key } = await tenantWithKey({ id: 'admin-auth-tenant' })
    const asTenant = await callEdge('/v1/models', { headers: { authorization: `Bearer ${key}` } })
    expect(asTenant.status, await asTenant.text()).toBe(200)
    await expectRefused(
      await callAdmin('GET', '/tenants', undefined, { secret: key }),
      401,
      'invalid_admin_secret',
    )
  })

  it('is off, for everyone, when no admin secret (or a short one) is configured', async () => {
    for (const configured of ['', 'short']) {
      const response = await callAdmin('GET', '/tenants', undefined, {
        secret: configured || 'anything',
        adminSecret: configured,
      })
      await expectRefused(response, 503, 'admin_disabled')
    }
  })

  it('is off, with a 503 and one log line per isolate, for a secret a bearer token cannot carry', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const configured = 'correct horse battery staple, with spaces'
    for (const secret of [configured, 'anything', configured]) {
      const response = await callAdmin('GET', '/tenants', undefined, {
        secret,
        adminSecret: configured,
      })
      const text = await response.text()
      expect(response.status, text).toBe(503)
      const { error } = JSON.parse(text)
      expect(error.code).toBe('admin_disabled')
      expect(error.message).toContain('ADMIN_SECRET has characters a bearer token cannot carry')
      expect(text).not.toContain(configured)
    }
    expect(logged).toHaveBeenCalledTimes(1)
    const line = logged.mock.calls[0].join(' ')
    expect(line).toContain('ADMIN_SECRET has characters a bearer token cannot carry')
    expect(line).not.toContain(configured)
    logged.mockRestore()
  })

  it('takes a secret with every character a bearer token may carry', async () => {
    const configured = 'Az09-._~+/Az09-._~+/=='
    const response = await callAdmin('GET', '/tenants', undefined, {
      secret: configured,
      adminSecret: configured,
    })
    expect(response.status, await response.text()).toBe(200)
  })

  it('refuses writes without the secret, and they change nothing', async () => {
    const response = await callAdmin(
      'POST',
      '/tenants',
      { id: 'sneaky' },
      { secret: 'guess-guess-guess' },
    )
    expect(response.status).toBe(401)
    expect((await callAdmin('GET', '/tenants/sneaky')).status).toBe(404)
  })
})
