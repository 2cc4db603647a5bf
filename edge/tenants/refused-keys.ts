/**
 * The API keys this isolate recently found no live credentials for (unknown,
 * revoked, or of a tenant that is gone), by hash.
 *
 * Without it every request with an unknown key costs a CONTROL_KV read, so a
 * flood of bad keys is a flood of KV reads. A refused hash is answered 401
 * from here for REFUSED_KEY_TTL_MS; bounded in count, so a flood of distinct
 * keys evicts the oldest, which then cost one read again, as before.
 *
 * Invariant: a hash here was refused by KV within the TTL and no write went
 * through tenant-store.ts since (its writes forget every refusal, so a key the
 * admin API just created works at once in this isolate). Other isolates may
 * refuse a new key for up to the TTL: seconds, well inside KV's own
 * propagation delay for a new key at another location.
 *
 * Hashes, not raw keys: a refused key may be a real key mistyped, or another
 * service's, and nothing here needs it in the clear.
 */
import { LRUCache } from 'lru-cache'

/** Long enough to absorb a flood, short enough that no one waits on a fixed key. */
const REFUSED_KEY_TTL_MS = 5_000

/** 64-character hex hashes: a few hundred KiB at most. */
const MAX_REFUSED_KEYS = 4_096

const refused = new LRUCache<string, true>({ max: MAX_REFUSED_KEYS, ttl: REFUSED_KEY_TTL_MS })

export const refusedKeys = {
  has: (keyHash: string): boolean => refused.has(keyHash),
  remember: (keyHash: string): void => {
    refused.set(keyHash, true)
  },
  /** Every refusal forgotten: after any write of tenants or keys. */
  forgetAll: (): void => refused.clear(),
}
