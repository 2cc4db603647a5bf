/**
 * The one place cache keys are derived.
 *
 * `v1:{scope}:{model}@{revision}:{sha256}` where scope is the tenant id (so a
 * hit never tells one tenant what another embedded) or `shared` for tenants
 * that opt in. Text is hashed exactly as it will be embedded (after the
 * template), with no trimming or case folding; token-id input hashes its ids
 * in a separate namespace so it can never collide with a text.
 *
 * The README's request walk: step 7.
 */
import { sha256Hex } from './hashing.ts'
import type { ModelInput } from './node-protocol.ts'

export const CACHE_KEY_VERSION = 'v1'

export interface CacheKeyParts {
  scope: string
  model: string
  revision: string
}

/** The digest of one final input: its text, or its token ids. */
export async function inputDigest(input: ModelInput): Promise<string> {
  return 'text' in input ? sha256Hex(`text:${input.text}`) : sha256Hex(`ids:${input.ids.join(',')}`)
}

export async function cacheKey(parts: CacheKeyParts, input: ModelInput): Promise<string> {
  return cacheKeyOfDigest(parts, await inputDigest(input))
}

/** The key of an input whose digest is known already (the node gets it from the edge). */
export function cacheKeyOfDigest(parts: CacheKeyParts, digest: string): string {
  return `${CACHE_KEY_VERSION}:${parts.scope}:${parts.model}@${parts.revision}:${digest}`
}

/** The input digest a cache key ends with: what the edge sends the node, so it hashes nothing. */
export function digestOfKey(key: string): string {
  return key.slice(key.lastIndexOf(':') + 1)
}
