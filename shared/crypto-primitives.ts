/**
 * SHA-256 and HMAC-SHA-256: all the cryptography both tiers share (cache keys, the signed
 * edge ↔ node channel). WebCrypto by default, since it is all workerd has. The inference node
 * swaps in node:crypto's synchronous functions when it starts (gpu-node/node-crypto.ts): in
 * Node every WebCrypto call is a job handed to the thread pool and a promise, and for the
 * node's small digests that hand-off cost its main thread about a quarter of its time
 * (bench:node's host path, profiled). Both give the same bytes; `gpu-node/node-crypto.test.ts`
 * checks that they agree.
 */
import { fromHex, toHex } from './hex.ts'

export interface CryptoPrimitives {
  /** Hex SHA-256 of `bytes`. */
  sha256Hex(bytes: Uint8Array): string | Promise<string>
  /** Hex HMAC-SHA-256 of `bytes` under the UTF-8 bytes of `secret`. */
  hmacSha256Hex(secret: string, bytes: Uint8Array): string | Promise<string>
  /** Whether `macHex` is that HMAC, compared in constant time. */
  hmacVerify(secret: string, macHex: string, bytes: Uint8Array): boolean | Promise<boolean>
}

const encoder = new TextEncoder()

function importHmacKey(secret: string) {
  return crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  )
}

// Every request signs or verifies with the same few secrets; importing the key once per
// secret keeps importKey off the hot path. Bounded: a process sees one or two secrets.
// (The key's type is what each runtime's importKey returns: Node has no global CryptoKey type.)
const MAX_CACHED_KEYS = 8
const keys = new Map<string, ReturnType<typeof importHmacKey>>()

function hmacKey(secret: string): ReturnType<typeof importHmacKey> {
  let key = keys.get(secret)
  if (!key) {
    if (keys.size >= MAX_CACHED_KEYS) keys.clear()
    key = importHmacKey(secret)
    keys.set(secret, key)
  }
  return key
}

export const webCrypto: CryptoPrimitives = {
  async sha256Hex(bytes) {
    return toHex(await crypto.subtle.digest('SHA-256', bytes))
  },
  async hmacSha256Hex(secret, bytes) {
    const key = await hmacKey(secret)
    return toHex(await crypto.subtle.sign('HMAC', key, bytes))
  },
  async hmacVerify(secret, macHex, bytes) {
    const mac = fromHex(macHex)
    if (mac === null) return false
    return crypto.subtle.verify('HMAC', await hmacKey(secret), mac, bytes)
  },
}

let current: CryptoPrimitives = webCrypto

/** The primitives in use in this process. */
export function cryptoPrimitives(): CryptoPrimitives {
  return current
}

/** Called once, where a process starts (the node's composition root), never per request. */
export function useCryptoPrimitives(primitives: CryptoPrimitives): void {
  current = primitives
}
