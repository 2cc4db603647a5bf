import { describe, expect, it } from 'vitest'
import { signBody, verifySignature } from './signing.ts'

const secret = 'a-shared-secret-of-some-length'
const body = new TextEncoder().encode('{"model":"m","inputs":[{"text":"hi"}]}')

describe('request signing', () => {
  it('accepts a fresh signature over the same body', async () => {
    const header = await signBody(secret, body)
    expect(await verifySignature(secret, body, header)).toEqual({ ok: true })
  })

  it('refuses a missing, malformed, wrong-secret, tampered or stale signature', async () => {
    const now = Date.now()
    const header = await signBody(secret, body, now)
    const tampered = new TextEncoder().encode('{"model":"m","inputs":[{"text":"ho"}]}')
    expect(await verifySignature(secret, body, null)).toMatchObject({ reason: 'missing signature' })
    expect(await verifySignature(secret, body, 'v1=abc')).toMatchObject({
      reason: 'malformed signature',
    })
    expect(await verifySignature('another-secret-entirely', body, header)).toMatchObject({
      reason: 'wrong signature',
    })
    expect(await verifySignature(secret, tampered, header)).toMatchObject({
      reason: 'wrong signature',
    })
    expect(await verifySignature(secret, body, header, { nowMs: now + 61_000 })).toMatchObject({
      reason: 'stale signature',
    })
  })

  it('binds the timestamp: moving it forward breaks the signature', async () => {
    const header = await signBody(secret, body, 1_000)
    const replayed = header.replace('t=1000', `t=${Date.now()}`)
    expect(await verifySignature(secret, body, replayed)).toMatchObject({
      reason: 'wrong signature',
    })
  })
})
