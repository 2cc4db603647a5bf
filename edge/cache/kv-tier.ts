/**
 * Tier 3: Workers KV, global and durable: one entry per cache key, the vector
 * as text (OpenAI's base64 of its float32 bytes, shared/vector-codec.ts) and
 * `{format, token_count, expires_at}` as metadata.
 *
 * Text, because a request may look up 2048 keys and Cloudflare allows one
 * invocation 1,000 KV operations (kv-budget.ts). KV's bulk read
 * (`getWithMetadata(keys[])`, up to 100 keys) counts as one operation, so 2048
 * keys take 21; but it returns only `text` or `json` values: workerd answers
 * `"arrayBuffer" is not a valid type`, and a binary value read as text comes
 * back UTF-8-decoded, i.e. corrupted. Base64 costs a third more bytes and a
 * decode per hit; the isolate and Cache API tiers take the hot reads.
 *
 * Entries written before (the raw bytes as the value, `{tokens, expires_at}`
 * as metadata) stay readable: their metadata has no `format`, so their text is
 * never decoded; they are read again one binary read each while the request's
 * reads last, and are misses after that (a recomputed vector replaces them).
 * The count is named `token_count`, not `tokens`, on purpose: the previous
 * reader serves any entry with a numeric `tokens` as float32 bytes, so an
 * isolate still running it during a rollout sees a miss in a new entry, never
 * base64 text read as floats.
 */
import { base64ToVector, bytesToVector, vectorToBase64 } from '../../shared/vector-codec.ts'
import { secondsLeft, type CachedVector } from './cache-entry.ts'
import type { KvBudget } from './kv-budget.ts'

const FORMAT = 'float32-base64'

interface VectorMetadata {
  format: typeof FORMAT
  token_count: number
  /** Unix seconds. */
  expires_at: number
}

/** Metadata of entries in the old format, whose value is the raw float32 bytes. */
interface BinaryMetadata {
  tokens: number
  /** Unix seconds; entries written before it existed live for KV_DEFAULT_LIFE_SECONDS more. */
  expires_at?: number
}

type StoredMetadata = Partial<VectorMetadata> & Partial<BinaryMetadata>

/** KV's bulk read takes at most this many keys. */
const BULK_READ_KEYS = 100
/** KV keeps hot keys at the edge location for this long (KV's minimum is 30 s). */
const EDGE_CACHE_TTL_SECONDS = 300
const KV_DEFAULT_LIFE_SECONDS = 60

function live(
  vector: Float32Array,
  tokens: number,
  expiresAtSeconds?: number,
): CachedVector | null {
  const expiresAt =
    expiresAtSeconds === undefined
      ? Date.now() + KV_DEFAULT_LIFE_SECONDS * 1000
      : expiresAtSeconds * 1000
  const entry: CachedVector = { vector, tokens, expiresAt }
  return secondsLeft(entry) > 0 ? entry : null
}

function fromText(value: string, metadata: StoredMetadata): CachedVector | null {
  const { token_count: tokens, expires_at: expiresAt } = metadata
  if (typeof tokens !== 'number' || typeof expiresAt !== 'number') return null
  return live(base64ToVector(value), tokens, expiresAt)
}

const isBinary = (metadata: StoredMetadata | null): metadata is BinaryMetadata =>
  metadata?.format === undefined && typeof metadata?.tokens === 'number'

async function readBinary(kv: KVNamespace, key: string): Promise<CachedVector | null> {
  const { value, metadata } = await kv.getWithMetadata<BinaryMetadata>(key, {
    type: 'arrayBuffer',
    cacheTtl: EDGE_CACHE_TTL_SECONDS,
  })
  if (!value || !isBinary(metadata) || value.byteLength % 4 !== 0) return null
  return live(bytesToVector(value), metadata.tokens, metadata.expires_at)
}

const failed = (err: unknown) => {
  console.error('KV read failed; treating it as a miss:', err)
  return null
}

/**
 * Every key looked up, 100 to a bulk read, the reads in parallel; null where
 * there is no live entry, KV failed, or the request had no reads left.
 */
export async function readKv(
  kv: KVNamespace,
  keys: string[],
  budget: KvBudget,
): Promise<(CachedVector | null)[]> {
  const found = new Map<string, CachedVector | null>()
  const binary: string[] = []
  const chunks: string[][] = []
  for (let start = 0; start < keys.length; start += BULK_READ_KEYS)
    chunks.push(keys.slice(start, start + BULK_READ_KEYS))
  const readChunk = async (chunk: string[]) => {
    const results = await kv.getWithMetadata<StoredMetadata>(chunk, {
      type: 'text',
      cacheTtl: EDGE_CACHE_TTL_SECONDS,
    })
    for (const [key, result] of results) {
      if (!result?.value) continue
      if (isBinary(result.metadata)) binary.push(key)
      else if (result.metadata?.format === FORMAT) {
        // One bad entry is one miss, not a hundred.
        try {
          found.set(key, fromText(result.value, result.metadata))
        } catch (err) {
          failed(err)
        }
      }
    }
  }
  const readable = chunks.filter(() => budget.take('read'))
  await Promise.all(readable.map((chunk) => readChunk(chunk).catch(failed)))
  const singles = binary.filter(() => budget.take('read'))
  await Promise.all(
    singles.map(async (key) => found.set(key, await readBinary(kv, key).catch(failed))),
  )
  return keys.map((key) => found.get(key) ?? null)
}

/**
 * Stores an entry, if the request has writes left. KV's own expiry is at
 * least its 60 s minimum; serving follows `expires_at`, so a 60 s tenant TTL
 * is honoured all the same.
 */
export async function writeKv(
  kv: KVNamespace,
  key: string,
  entry: CachedVector,
  budget: KvBudget,
): Promise<void> {
  const remainingSeconds = Math.ceil((entry.expiresAt - Date.now()) / 1000)
  if (remainingSeconds <= 0 || !budget.take('write')) return
  const metadata: VectorMetadata = {
    format: FORMAT,
    token_count: entry.tokens,
    expires_at: Math.ceil(entry.expiresAt / 1000),
  }
  // A binding may throw at once as well as reject later: either way the vector is only not kept.
  try {
    await kv.put(key, vectorToBase64(entry.vector), {
      metadata,
      expirationTtl: Math.max(60, remainingSeconds),
    })
  } catch (err) {
    console.error('KV write failed:', err)
  }
}
