/**
 * A real KV binding with its reads and writes counted: every call goes
 * through to the namespace unchanged. Tests pass it as a binding override to
 * see which requests reached KV at all.
 */
export interface KvCalls {
  reads: number
  writes: number
}

export function countingKv(kv: KVNamespace): { kv: KVNamespace; calls: KvCalls } {
  const calls: KvCalls = { reads: 0, writes: 0 }
  const counted = new Proxy(kv, {
    get(target, property) {
      const value = Reflect.get(target, property)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (property === 'get' || property === 'getWithMetadata') calls.reads += 1
        if (property === 'put') calls.writes += 1
        return value.apply(target, args)
      }
    },
  })
  return { kv: counted, calls }
}
