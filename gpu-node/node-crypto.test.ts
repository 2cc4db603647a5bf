import { describe, expect, it } from 'vitest'
import { nodeCrypto } from './node-crypto.ts'
import { webCrypto } from '../shared/crypto-primitives.ts'

const encoder = new TextEncoder()

describe('the crypto primitives', () => {
  it('give the same digests and MACs with node:crypto as with WebCrypto', async () => {
    // The last is hashed off the main thread (over 1 MiB): the same digest either way.
    const texts = [
      '',
      'a',
      'Instruct: find it\nQuery:caf\u00e9 \u{1f600}',
      'x'.repeat(10_000),
      'y'.repeat(2 * 1024 * 1024),
    ]
    for (const secret of ['s', 'a longer secret with ünïcode']) {
      for (const text of texts) {
        const bytes = encoder.encode(text)
        expect(await nodeCrypto.sha256Hex(bytes)).toBe(await webCrypto.sha256Hex(bytes))
        const mac = await webCrypto.hmacSha256Hex(secret, bytes)
        expect(nodeCrypto.hmacSha256Hex(secret, bytes)).toBe(mac)
        expect(nodeCrypto.hmacVerify(secret, mac, bytes)).toBe(true)
        expect(await webCrypto.hmacVerify(secret, mac, bytes)).toBe(true)
        const wrong = (mac[0] === '0' ? '1' : '0') + mac.slice(1)
        expect(nodeCrypto.hmacVerify(secret, wrong, bytes)).toBe(false)
        expect(await webCrypto.hmacVerify(secret, wrong, bytes)).toBe(false)
        expect(nodeCrypto.hmacVerify(secret, 'not hex', bytes)).toBe(false)
        expect(await webCrypto.hmacVerify(secret, 'not hex', bytes)).toBe(false)
      }
    }
  })
})
