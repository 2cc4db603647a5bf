/**
 * New API keys and key ids, and the visible prefix that tells keys apart.
 * WebCrypto only, so the worker (admin API) and Node (dev seed) share it.
 */
import { toHex } from '../../shared/hashing.ts'

/** Marks keys this service issued, as `sk-` marks OpenAI's. */
const KEY_PREFIX = 'sk-emb-'
/** Enough of the key to tell keys apart in a list, far too little to guess the rest. */
const VISIBLE_PREFIX_LENGTH = 12

function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)))
}

/** A new raw key: 192 random bits. Shown once, then only its SHA-256 is kept. */
export function newApiKey(): string {
  return `${KEY_PREFIX}${randomHex(24)}`
}

export function newKeyId(): string {
  return `key_${randomHex(6)}`
}

export function visiblePrefix(apiKey: string): string {
  return apiKey.slice(0, VISIBLE_PREFIX_LENGTH)
}
