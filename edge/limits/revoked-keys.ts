/**
 * A tenant's revoked keys as its Durable Object keeps them: one storage row per key
 * (`revoked:<sha256>`), so a revocation writes one small row instead of rewriting a list that
 * only grows, and numbered 1, 2, 3... in the order they were revoked, so an isolate that has
 * seen the first n is sent only those after (`since`), not the whole list with every lease.
 * Revocations are final: no row is ever deleted, and the numbers never change.
 */

const ROW_PREFIX = 'revoked:'
/** Where objects kept the whole list as one value before rows: moved to rows on first load. */
const LEGACY_LIST = 'revoked'
/** Most rows one `put` may write. */
const MAX_ROWS_PER_PUT = 128

interface RevokedRow {
  at: string
  /** Its place in the order of revocations, from 1. */
  version: number
}

/** What an isolate is sent with a lease: the revocations numbered after `since`, up to `version`. */
export interface RevocationsSince {
  /** 0: the whole list, to replace what the isolate knew. */
  since: number
  version: number
  keyHashes: string[]
}

export class RevokedKeys {
  private constructor(
    private readonly rows: Map<string, RevokedRow>,
    /** Key hashes by version: `inOrder[v - 1]` was revoked v-th. */
    private readonly inOrder: string[],
  ) {}

  /** Reads the rows, first moving a list stored the old way into them. */
  static async load(storage: DurableObjectStorage): Promise<RevokedKeys> {
    const rows = new Map<string, RevokedRow>()
    for (const [name, row] of await storage.list<RevokedRow>({ prefix: ROW_PREFIX }))
      rows.set(name.slice(ROW_PREFIX.length), row)
    const inOrder = [...rows]
      .sort(([, a], [, b]) => a.version - b.version)
      .map(([keyHash]) => keyHash)
    const keys = new RevokedKeys(rows, inOrder)
    const legacy = await storage.get<Record<string, string>>(LEGACY_LIST)
    if (legacy) await keys.adopt(storage, legacy)
    return keys
  }

  has(keyHash: string): boolean {
    return this.rows.has(keyHash)
  }

  /** Refuses the key from now on, once written. Idempotent: the first revocation time stays. */
  async revoke(storage: DurableObjectStorage, keyHash: string, at: string): Promise<void> {
    if (this.rows.has(keyHash)) return
    const row = this.add(keyHash, at)
    await storage.put(ROW_PREFIX + keyHash, row)
  }

  /**
   * The revocations after the `version` an isolate last saw. A version past the list's end
   * (the object's storage was emptied since) gets the whole list.
   */
  since(version: number): RevocationsSince {
    const since = version <= this.inOrder.length ? Math.max(0, version) : 0
    return { since, version: this.inOrder.length, keyHashes: this.inOrder.slice(since) }
  }

  private add(keyHash: string, at: string): RevokedRow {
    const row = { at, version: this.inOrder.length + 1 }
    this.rows.set(keyHash, row)
    this.inOrder.push(keyHash)
    return row
  }

  /**
   * Numbers the old list's keys after any rows, writes them as rows and deletes the list, with
   * no await between the writes, so the runtime commits them together.
   */
  private async adopt(storage: DurableObjectStorage, legacy: Record<string, string>) {
    const added: Record<string, RevokedRow> = {}
    for (const [keyHash, at] of Object.entries(legacy))
      if (!this.rows.has(keyHash)) added[ROW_PREFIX + keyHash] = this.add(keyHash, at)
    const entries = Object.entries(added)
    const writes: Promise<unknown>[] = []
    for (let i = 0; i < entries.length; i += MAX_ROWS_PER_PUT)
      writes.push(storage.put(Object.fromEntries(entries.slice(i, i + MAX_ROWS_PER_PUT))))
    writes.push(storage.delete(LEGACY_LIST))
    await Promise.all(writes)
  }
}
