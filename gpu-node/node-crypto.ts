/**
 * node:crypto's synchronous SHA-256 and HMAC, for the node's hot path (shared/crypto-primitives.ts
 * says why): the same bytes as WebCrypto, without a thread-pool job and a promise per digest.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { webCrypto, type CryptoPrimitives } from '../shared/crypto-primitives.ts'

/**
 * Larger bodies are hashed off the main thread, as WebCrypto does: an 80 MiB body, before its
 * signature is even checked, must not hold the event loop for a tenth of a second.
 */
const SYNC_HASH_MAX_BYTES = 1024 * 1024

export const nodeCrypto: CryptoPrimitives = {
  sha256Hex: (bytes) =>
    bytes.length > SYNC_HASH_MAX_BYTES
      ? webCrypto.sha256Hex(bytes)
      : createHash('sha256').update(bytes).digest('hex'),
  hmacSha256Hex: (secret, bytes) => createHmac('sha256', secret).update(bytes).digest('hex'),
  hmacVerify(secret, macHex, bytes) {
    if (!/^[0-9a-f]{64}$/i.test(macHex)) return false
    const expected = createHmac('sha256', secret).update(bytes).digest()
    return timingSafeEqual(expected, Buffer.from(macHex, 'hex'))
  },
}
