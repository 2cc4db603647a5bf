/**
 * Rendezvous (highest-random-weight) hashing: every node gets a score for a
 * key and the key goes to the highest-scoring node that can take it. The
 * same key therefore reaches the same node while that node is healthy (its
 * own cache sees the repeats), and when a node leaves only its keys move,
 * each to its own second choice.
 */

/** FNV-1a over the string's UTF-16 code units: fast, and spreads keys well once mixed. */
export function hash32(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** MurmurHash3's finalizer: every input bit affects every output bit. */
function mix32(value: number): number {
  let h = value
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export interface Weighted {
  /** hash32 of the node's identity (its URL), computed once. */
  seed: number
}

/** The nodes in preference order for `key`: highest score first; ties keep the given order. */
export function rendezvousOrder<T extends Weighted>(nodes: readonly T[], key: string): T[] {
  const keyHash = hash32(key)
  return nodes
    .map((node, i) => ({ node, i, score: mix32(keyHash ^ node.seed) }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map(({ node }) => node)
}
