import { describe, expect, it } from 'vitest'
import { TEST_ADMIN_SECRET } from '../../test/support/admin-harness.ts'
import { callEdge } from '../../test/support/edge-harness.ts'

const WRONG_SECRET = 'not-the-admin-secret-at-all'

/** An admin call from one client address (none: a request that names no client). */
function login(secret: string, clientIp: string | null): Promise<Response> {
  return callEdge(
    '/admin/tenants',
    {
      headers: {
        authorization: `Bearer ${secret}`,
        ...(clientIp !== null ? { 'cf-connecting-ip': clientIp } : {}),
      },
    },
    { ADMIN_SECRET: TEST_ADMIN_SECRET },
  )
}

async function expectThrottled(response: Response): Promise<void> {
  const text = await response.text()
  expect(response.status, text).toBe(429)
  expect(JSON.parse(text).error.code).toBe('admin_login_throttled')
  const retryAfter = Number(response.headers.get('retry-after'))
  expect(retryAfter).toBeGreaterThanOrEqual(1)
  expect(retryAfter).toBeLessThanOrEqual(60)
}

describe('failed admin logins', () => {
  it('answers 429 with Retry-After from the sixth wrong secret in a minute, the right one included', async () => {
    for (let i = 0; i < 5; i++) expect((await login(WRONG_SECRET, '203.0.113.1')).status).toBe(401)
    await expectThrottled(await login(WRONG_SECRET, '203.0.113.1'))
    await expectThrottled(await login(TEST_ADMIN_SECRET, '203.0.113.1'))
  })

  it('leaves other clients alone: their logins work and their failures are their own', async () => {
    for (let i = 0; i < 5; i++) await login(WRONG_SECRET, '203.0.113.2')
    await expectThrottled(await login(TEST_ADMIN_SECRET, '203.0.113.2'))
    expect((await login(TEST_ADMIN_SECRET, '203.0.113.3')).status).toBe(200)
    expect((await login(WRONG_SECRET, '203.0.113.3')).status).toBe(401)
    expect((await login(TEST_ADMIN_SECRET, '203.0.113.3')).status).toBe(200)
  })

  it('never counts logins that succeed', async () => {
    for (let i = 0; i < 20; i++)
      expect((await login(TEST_ADMIN_SECRET, '203.0.113.4')).status).toBe(200)
    expect((await login(WRONG_SECRET, '203.0.113.4')).status).toBe(401)
  })

  it('answers at most five of a burst of wrong secrets sent at once', async () => {
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => login(WRONG_SECRET, '203.0.113.5')),
    )
    expect(burst.filter((r) => r.status === 401)).toHaveLength(5)
    expect(burst.filter((r) => r.status === 429)).toHaveLength(15)
  })

  it('puts requests without cf-connecting-ip in one shared bucket', async () => {
    for (let i = 0; i < 5; i++) expect((await login(WRONG_SECRET, null)).status).toBe(401)
    await expectThrottled(await login(TEST_ADMIN_SECRET, null))
    expect((await login(TEST_ADMIN_SECRET, '203.0.113.6')).status).toBe(200)
  })
})
