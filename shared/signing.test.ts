import { describe, expect, it } from 'vitest'
import {
  bodyDigest,
  macOf,
  parseSignature,
  signRequest,
  signResponse,
  verifyRequest,
  verifyResponse,
  type SignedCall,
} from './signing.ts'

const secret = 'a-shared-secret-of-some-length'
const body = new TextEncoder().encode('{"model":"m","inputs":[{"text":"hi"}]}')

async function embedCall(bytes = body): Promise<SignedCall> {
  return { method: 'POST', path: '/internal/embed', digest: await bodyDigest(bytes) }
}

async function verifies(header: string, call: SignedCall, key = secret): Promise<boolean> {
  const parsed = parseSignature(header)
  if (!parsed.ok) throw new Error(parsed.reason)
  return verifyRequest(key, parsed.signature, call)
}

describe('request signing', () => {
  it('accepts a fresh signature over the same method, path and body', async () => {
    const call = await embedCall()
    expect(await verifies(await signRequest(secret, call), call)).toBe(true)
  })

  it('refuses another secret, body, path or method under the same header', async () => {
    const call = await embedCall()
    const header = await signRequest(secret, call)
    const other = new TextEncoder().encode('{"model":"m","inputs":[{"text":"ho"}]}')
    expect(await verifies(header, call, 'another-secret-entirely')).toBe(false)
    expect(await verifies(header, await embedCall(other))).toBe(false)
    expect(await verifies(header, { ...call, path: '/monitor' })).toBe(false)
    expect(await verifies(header, { ...call, method: 'GET' })).toBe(false)
  })

  it('checks form and freshness without the body', async () => {
    const now = Date.now()
    const header = await signRequest(secret, await embedCall(), { timestampMs: now })
    expect(parseSignature(null)).toMatchObject({ reason: 'missing signature' })
    expect(parseSignature('t=1,v1=abc')).toMatchObject({ reason: 'malformed signature' })
    expect(parseSignature(header, { nowMs: now + 61_000 })).toMatchObject({
      reason: 'stale signature',
    })
    expect(parseSignature(header, { nowMs: now })).toMatchObject({ ok: true })
  })

  it('binds the timestamp and the nonce: changing either breaks the signature', async () => {
    const call = await embedCall()
    const header = await signRequest(secret, call, { timestampMs: Date.now() - 1000 })
    const moved = header.replace(/t=\d+/, `t=${Date.now()}`)
    const renonced = header.replace(/n=[0-9a-f]+/, `n=${'0'.repeat(32)}`)
    expect(await verifies(moved, call)).toBe(false)
    expect(await verifies(renonced, call)).toBe(false)
  })

  it('gives each signature its own nonce', async () => {
    const call = await embedCall()
    const nonces = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const parsed = parseSignature(await signRequest(secret, call))
      if (parsed.ok) nonces.add(parsed.signature.nonce)
    }
    expect(nonces.size).toBe(20)
  })
})

describe('response signing', () => {
  it('ties an answer to its request, status, revision, drift state and body', async () => {
    const header = await signRequest(secret, await embedCall())
    const answer = {
      requestMac: macOf(header),
      status: 200,
      revision: 'r1',
      vectors: 'ok',
      digest: await bodyDigest(new Uint8Array([1, 2, 3])),
    }
    const signature = await signResponse(secret, answer)
    expect(await verifyResponse(secret, signature, answer)).toBe(true)
    const otherRequest = macOf(await signRequest(secret, await embedCall()))
    expect(await verifyResponse(secret, signature, { ...answer, requestMac: otherRequest })).toBe(
      false,
    )
    expect(await verifyResponse(secret, signature, { ...answer, revision: 'r2' })).toBe(false)
    expect(await verifyResponse(secret, signature, { ...answer, vectors: 'drifted' })).toBe(false)
    const forged = await bodyDigest(new Uint8Array([1, 2, 4]))
    expect(await verifyResponse(secret, signature, { ...answer, digest: forged })).toBe(false)
    expect(await verifyResponse(secret, null, answer)).toBe(false)
    expect(await verifyResponse('another-secret-entirely', signature, answer)).toBe(false)
  })
})
