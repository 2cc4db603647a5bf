/**
 * node:crypto's synchronous SHA-256 and HMAC, for the node's hot path (shared/crypto-primitives.ts
 * says why): the same bytes as WebCrypto, without a thread-pool job and a promise per digest.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { CryptoPrimitives } from '../shared/crypto-primitives.ts'

export const nodeCrypto: CryptoPrimitives = {
  sha256Hex: (bytes) => createHash('sha256').update(bytes).digest('hex'),
  hmacSha256Hex: (secret, bytes) => createHmac('sha256', secret).update(bytes).digest('hex'),
  hmacVerify(secret, macHex, bytes) {
    if (!/^[0-9a-f]{64}$/i.test(macHex)) return false
    const expected = createHmac('sha256', secret).update(bytes).digest()
    return timingSafeEqual(expected, Buffer.from(macHex, 'hex'))
  },
}
