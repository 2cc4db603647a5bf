/**
 * The node's own cache of recent vectors (`lru-cache`, bounded in bytes). The
 * edge routes repeats of a text to the same node, so this catches what the
 * edge's caches have not seen yet or have evicted.
 *
 * Keys come from shared/cache-key.ts with the model id and revision in them,
 * so a vector computed by another model, or another revision of this one, can
 * never be returned. The scope is the tenant's cache scope, as the edge signs it
 * into the request: a hit answers in about a millisecond, a miss in many, so a
 * cache shared between tenants would tell one what another recently embedded.
 */
import { LRUCache } from 'lru-cache'
import { cacheKeyOfDigest, inputDigest } from '../../shared/cache-key.ts'
import type { ModelInput } from '../../shared/node-protocol.ts'

export interface NodeCacheEntry {
  vector: Float32Array
  /** Its token count: at the model's maximum, it may have been cut (mayHaveBeenCut). */
  tokens: number
}

/** Bytes an entry holds besides its vector: key string, record, LRU bookkeeping. */
const ENTRY_OVERHEAD_BYTES = 256

export class VectorCache {
  private readonly lru: LRUCache<string, NodeCacheEntry> | null

  constructor(
    maxBytes: number,
    private readonly model: { id: string; revision: string },
  ) {
    this.lru =
      maxBytes > 0
        ? new LRUCache({
            maxSize: maxBytes,
            sizeCalculation: (entry, key) =>
              entry.vector.byteLength + key.length * 2 + ENTRY_OVERHEAD_BYTES,
          })
        : null
  }

  get enabled(): boolean {
    return this.lru !== null
  }

  /** Bytes held now (as sizeCalculation counts them). */
  get bytes(): number {
    return this.lru?.calculatedSize ?? 0
  }

  /**
   * The key of an input whose digest (shared/cache-key.ts) the edge sent: nothing to hash.
   * @param scope the request's `cache_scope` (absent: one shared scope)
   */
  keyOfDigest(digest: string, scope = ''): string {
    return cacheKeyOfDigest(
      { scope: `node:${scope}`, model: this.model.id, revision: this.model.revision },
      digest,
    )
  }

  /** The key of an input that came without its digest: it is hashed here. */
  async key(input: ModelInput, scope = ''): Promise<string> {
    return this.keyOfDigest(await inputDigest(input), scope)
  }

  get(key: string): NodeCacheEntry | undefined {
    return this.lru?.get(key)
  }

  set(key: string, entry: NodeCacheEntry): void {
    // Nothing is kept while the vectors are in doubt (drift): they would be served as good later.
    if (this.suspended) return
    // A copy: the vector handed in may be a view into a whole batch's buffer.
    this.lru?.set(key, { ...entry, vector: entry.vector.slice() })
  }

  /**
   * While suspended (the node's vectors drifted), nothing new is kept. Suspending or resuming
   * empties the cache: what it held was computed on one side of the change.
   */
  suspend(suspended: boolean): void {
    if (suspended === this.suspended) return
    this.suspended = suspended
    this.lru?.clear()
  }

  private suspended = false
}
