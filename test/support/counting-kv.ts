/**
 * A real KV binding with its calls counted: every call goes through to the
 * namespace unchanged. Tests pass it as a binding override to see which
 * requests reached KV at all, and how often.
 *
 * With a `limit` it also refuses calls the way the platform does: Cloudflare
 * allows one Worker invocation 1,000 KV operations (a bulk read of up to 100
 * keys is one), across all its namespaces, and throws on every call past them.
 * The cache tiers turn a failed KV call into a miss, so the refusal alone does
 * not fail a request: tests assert on `refused` (and `operations`) instead.
 * Several bindings share one limit when they share one `KvCalls`.
 */
export interface KvCalls {
  reads: number
  writes: number
  /** Calls that reached KV: reads, writes, deletes and lists; a bulk read counts once. */
  operations: number
  /** Calls refused past the limit, as the platform refuses them. */
  refused: number
}

/** The platform's limit of KV operations per Worker invocation. */
export const KV_OPERATIONS_PER_INVOCATION = 1000

export function kvCalls(): KvCalls {
  return { reads: 0, writes: 0, operations: 0, refused: 0 }
}

const OPERATIONS = new Set(['get', 'getWithMetadata', 'put', 'delete', 'list'])

export function countingKv(
  kv: KVNamespace,
  options: { calls?: KvCalls; limit?: number } = {},
): { kv: KVNamespace; calls: KvCalls } {
  const calls = options.calls ?? kvCalls()
  const limit = options.limit ?? Infinity
  const counted = new Proxy(kv, {
    get(target, property) {
      const value = Reflect.get(target, property)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (typeof property === 'string' && OPERATIONS.has(property)) {
          if (calls.operations >= limit) {
            calls.refused += 1
            return Promise.reject(new Error('Too many API requests by single Worker invocation.'))
          }
          calls.operations += 1
        }
        if (property === 'get' || property === 'getWithMetadata') calls.reads += 1
        if (property === 'put') calls.writes += 1
        return value.apply(target, args)
      }
    },
  })
  return { kv: counted, calls }
}
