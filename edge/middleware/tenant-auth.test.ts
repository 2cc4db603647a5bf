import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../shared/hashing.ts'
import { DEFAULT_MODEL, env, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import { keyRecordName } from '../tenants/tenant.ts'

const goodKey = 'sk-test-auth-good-0001'
const revokedKey = 'sk-test-auth-revoked-0001'
const body = { model: DEFAULT_MODEL, input: 'hello' }

beforeAll(async () => {
  await seedTenant({ id: 'auth-tenant' }, goodKey)
  await seedTenant({ id: 'auth-tenant' }, revokedKey)
  const name = keyRecordName(await sha256Hex(revokedKey))
  const record = await env.CONTROL_KV.get<Record<string, unknown>>(name, 'json')
  await env.CONTROL_KV.put(
    name,
    JSON.stringify({ ...record, revoked_at: new Date().toISOString() }),
  )
})

async function expectUnauthorized(response: Response): Promise<void> {
  expect(response.status).toBe(401)
  const json = (await response.json()) as { error: { type: string; code: string; message: string } }
  expect(json.error.type).toBe('authentication_error')
  expect(json.error.code).toBe('invalid_api_key')
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/)
}

describe('API keys', () => {
  it('stores only the SHA-256 of a key, never the key itself', async () => {
    const { keys } = await env.CONTROL_KV.list()
    expect(keys.some((k) => k.name.includes(goodKey))).toBe(false)
    expect(await env.CONTROL_KV.get(keyRecordName(await sha256Hex(goodKey)))).not.toBeNull()
  })

  it('answers 401 in the OpenAI shape for a missing, malformed, unknown or revoked key', async () => {
    await expectUnauthorized(await postEmbeddings(body))
    await expectUnauthorized(
      await postEmbeddings(body, { headers: { authorization: 'Basic abc' } }),
    )
    await expectUnauthorized(await postEmbeddings(body, { key: 'sk-nobody-has-this-key' }))
    await expectUnauthorized(await postEmbeddings(body, { key: revokedKey }))
  })

  it('lets a valid key through', async () => {
    const response = await postEmbeddings(body, { key: goodKey })
    expect(response.status).toBe(200)
  })
})
