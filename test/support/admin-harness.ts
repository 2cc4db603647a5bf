/**
 * Helpers for tests of the admin API and the tenant Durable Object: admin
 * calls with the test admin secret, a tenant with keys made through the API,
 * and closing a tenant's rate window by running its alarm (no waiting).
 */
import { expect } from 'vitest'
import type { CreatedKey, TenantView } from '../../edge/admin/api-types.ts'
import { callEdge } from './edge-harness.ts'

export const TEST_ADMIN_SECRET = 'test-admin-secret-of-the-workerd-project'

export function callAdmin(
  method: string,
  path: string,
  body?: unknown,
  options: { secret?: string | null; adminSecret?: string; overrides?: object } = {},
): Promise<Response> {
  const secret = options.secret === undefined ? TEST_ADMIN_SECRET : options.secret
  return callEdge(
    `/admin${path}`,
    {
      method,
      headers: {
        ...(secret !== null ? { authorization: `Bearer ${secret}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    },
    { ADMIN_SECRET: options.adminSecret ?? TEST_ADMIN_SECRET, ...options.overrides },
  )
}

/** An admin call that must answer `status`; returns its JSON. */
export async function admin<T>(
  method: string,
  path: string,
  body?: unknown,
  status = 200,
): Promise<T> {
  const response = await callAdmin(method, path, body)
  const text = await response.text()
  expect(response.status, `${method} ${path}: ${text}`).toBe(status)
  return JSON.parse(text) as T
}

/** A tenant and one key for it, both made through the admin API. */
export async function tenantWithKey(
  tenant: Partial<TenantView> & { id: string },
): Promise<CreatedKey> {
  await admin('POST', '/tenants', tenant, 201)
  return admin<CreatedKey>('POST', `/tenants/${tenant.id}/keys`, { name: 'first' }, 201)
}
