/**
 * Nonces of requests the node has accepted, kept as long as their signature
 * could still pass the freshness check (twice the skew window: a timestamp may
 * be that far either side of this clock). A signed request seen again within
 * that time is a replay and is refused.
 *
 * Bounded in count: past MAX_NONCES accepted requests in one window (about
 * 1,600 a second with the default 60 s skew), the oldest are forgotten first,
 * and a request that old could be replayed once more. The size is an operator
 * choice (`NONCE_MEMORY_SIZE`), stated in docs/security.md.
 */
import { LRUCache } from 'lru-cache'
import { DEFAULT_MAX_SKEW_MS } from '../../shared/signing.ts'

export class NonceMemory {
  private readonly seen: LRUCache<string, true>

  constructor(maxNonces: number, maxSkewMs = DEFAULT_MAX_SKEW_MS) {
    this.seen = new LRUCache({ max: maxNonces, ttl: 2 * maxSkewMs, ttlAutopurge: false })
  }

  /** True if the nonce was accepted before; cheap, to refuse a replay before reading its body. */
  has(nonce: string): boolean {
    return this.seen.has(nonce)
  }

  /** Records an accepted request's nonce; false if another request took it first. */
  claim(nonce: string): boolean {
    if (this.seen.has(nonce)) return false
    this.seen.set(nonce, true)
    return true
  }
}
