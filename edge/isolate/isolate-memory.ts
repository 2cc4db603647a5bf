/**
 * Everything an edge isolate remembers between requests, in one object: what each piece holds,
 * what bounds it, and why sharing it between tenants tells no tenant anything of another's.
 * The modules named by each piece use it; none keeps state of its own.
 *
 * A Workers isolate serves many requests of many tenants, one after another and at once, in
 * 128 MB, until the runtime replaces it. Nothing here is shared with another isolate, and
 * nothing here is needed for a right answer: an isolate that starts with all of it empty answers
 * the same, only slower (more KV reads, more calls to Durable Objects and nodes).
 *
 * The same-object rule. Four pieces are checked against an object's identity, not its content,
 * so that a hit costs a comparison instead of hashing a body or comparing a vector:
 * - `answers` replays an answer only for the tenant object and the vector objects it was
 *   written from (edge/embeddings/response-memo.ts);
 * - `embeddingJson` reuses a vector's text only for the vector object it was written from
 *   (edge/embeddings/embedding-json.ts);
 * - `tenantTags` is kept by tenant object (edge/embeddings/node-calls.ts);
 * - `catalog.seen` skips comparing and saving the model list while the node pool hands out the
 *   same model objects (edge/models/model-catalog.ts).
 * They are right because the makers of those objects keep one promise: an object handed out is
 * never changed in place; a change is a new object. The isolate tier (`vectors`) keeps each
 * entry's Float32Array as written, and every write from a lower tier or a node brings a new one;
 * the tenant store (`tenantObjects`) hands every key of a tenant the same object while the
 * record's text is unchanged, and a new one when it changes; a node pool makes new model objects
 * for each /info it reads. Changing one of those objects in place would let a memo answer with
 * what no longer is; handing out a copy where the same object was only costs the memos their
 * hits (which is why `tenantObjects` exists).
 *
 * Read a piece through `isolateMemory` each time, never from a variable kept past a request:
 * `resetIsolateMemory` replaces the object.
 */
import { LRUCache } from 'lru-cache'
import type { ModelInfo } from '../../shared/node-protocol.ts'
import type { CachedVector } from '../cache/cache-entry.ts'
import type { Resolution } from '../cache/in-flight.ts'
import type { RememberedAnswer } from '../embeddings/response-memo.ts'
import { AdmissionLeases } from '../limits/admission-leases.ts'
import { UsageBatcher } from '../limits/usage-batch.ts'
import type { NodePool } from '../origin/node-pool.ts'
import type { Credentials } from '../tenants/tenant-store.ts'
import type { Tenant } from '../tenants/tenant.ts'

/** Estimated per-entry bookkeeping beyond the vector and key bytes (objects, LRU index slots). */
const VECTOR_ENTRY_OVERHEAD_BYTES = 160
/** The two memos above the isolate tier: small shares of the isolate next to the vectors. */
const ANSWERS_MAX_BYTES = 8 * 1024 * 1024
const EMBEDDING_JSON_MAX_BYTES = 8 * 1024 * 1024

/**
 * How stale a tenant or key record may be where it is read: KV's edge cache holds the records
 * read on every request this long (tenant-store.ts asks for it as `cacheTtl`), and `credentials`
 * holds them as long. Without it each request pays a KV round trip; with it a changed record can
 * be up to this stale at a location, on top of KV's own propagation (about 60 s). That is why
 * revocation is also checked in the tenant's Durable Object (edge/limits/).
 */
export const CONTROL_CACHE_TTL_SECONDS = 60
const MAX_CREDENTIALS = 10_000
const MAX_TENANT_OBJECTS = 10_000

/** Long enough to absorb a flood of one bad key, short enough that no one waits on a fixed key. */
const REFUSED_KEY_TTL_MS = 5_000
/** 64-character hex hashes: a few hundred KiB at most. */
const MAX_REFUSED_KEYS = 4_096

/** A client's window of failed admin logins (edge/admin/login-throttle.ts). */
const LOGIN_WINDOW_MS = 60_000
const MAX_LOGIN_CLIENTS = 10_000

function freshMemory() {
  return {
    /**
     * Tier 1 of the vector cache (edge/cache/isolate-tier.ts): cache key → vector. Bounded in
     * bytes by ISOLATE_CACHE_BYTES, made by `isolateVectors` at the first lookup; each entry
     * expires with the TTL of the tenant that wrote it. Tenants: the cache key's scope is the
     * tenant, or `shared` for tenants that opted into sharing.
     */
    vectors: null as LRUCache<string, CachedVector> | null,
    /**
     * Lookups in progress (edge/cache/in-flight.ts): cache key, and whether the lookup may cut
     * its input → the claiming request's result. Bounded by the lookups running at once: a claim
     * leaves when its request settles it. Tenants: by cache key, scoped as in `vectors`.
     */
    inFlight: new Map<string, Promise<Resolution>>(),
    /**
     * Whole answers by request body (edge/embeddings/response-memo.ts): tenant id and body →
     * the answer's JSON and the vectors it was written from. Bounded in bytes; never outlives
     * its vectors in `vectors` (the same-object rule). Tenants: keyed by tenant id, and used
     * only for the very tenant object it was answered for.
     */
    answers: new LRUCache<string, RememberedAnswer>({
      maxSize: ANSWERS_MAX_BYTES,
      sizeCalculation: (answer, key) => {
        let bytes = key.length + answer.json.length
        for (const [cacheKey, vector] of answer.vectors)
          bytes += cacheKey.length + vector.byteLength
        return bytes
      },
    }),
    /**
     * Each embedding's JSON text (edge/embeddings/embedding-json.ts): cache key, dimensions and
     * encoding → the text and the vector it was written from. Bounded in bytes; used only for
     * that vector object (the same-object rule). Tenants: by cache key, scoped as in `vectors`.
     */
    embeddingJson: new LRUCache<string, { vector: Float32Array; json: string }>({
      maxSize: EMBEDDING_JSON_MAX_BYTES,
      sizeCalculation: (entry, key) => entry.json.length + entry.vector.byteLength + key.length,
    }),
    /**
     * The tag a tenant's node calls carry (edge/embeddings/node-calls.ts): tenant object → a
     * hash of its id, so a cached request hashes nothing. Goes with the tenant object (a
     * WeakMap), so bounded by the tenant objects alive. Tenants: derived from the tenant's own id.
     */
    tenantTags: new WeakMap<Tenant, Promise<string>>(),
    /**
     * Live credentials (edge/tenants/tenant-store.ts): raw API key → its tenant and key. Only
     * keys KV found; for CONTROL_CACHE_TTL_SECONDS, at most MAX_CREDENTIALS. Keyed by the
     * presented key itself, not its hash: hashing is an asynchronous digest that would cost
     * every cached request more than the rest of the lookup. A raw key is held for
     * CONTROL_CACHE_TTL_SECONDS after it was read from KV: every lookup that misses purges the
     * expired entries, so one outlives that only until the isolate's next unknown or expired key.
     * The isolate is handed the key with every request anyway, and never writes it anywhere.
     * Tenants: only the holder of a key can present it.
     */
    credentials: new LRUCache<string, Credentials>({
      max: MAX_CREDENTIALS,
      ttl: CONTROL_CACHE_TTL_SECONDS * 1000,
    }),
    /**
     * The tenant object last made from each tenant record (edge/tenants/tenant-store.ts): tenant
     * id → the record's text and the object, so every key of a tenant gets the very same object
     * while the record is unchanged (the same-object rule: keys that each had their own copy
     * would keep replacing each other's `answers`). At most MAX_TENANT_OBJECTS; an entry is used
     * only while KV returns the same text. Tenants: keyed by tenant id.
     */
    tenantObjects: new LRUCache<string, { text: string; tenant: Tenant }>({
      max: MAX_TENANT_OBJECTS,
    }),
    /**
     * The API keys KV recently found no live credentials for (unknown, revoked, or of a tenant
     * that is gone), by SHA-256 (edge/tenants/tenant-store.ts). Without it every request with an
     * unknown key costs a KV read, so a flood of bad keys is a flood of KV reads. A refused hash
     * is answered 401 from here for REFUSED_KEY_TTL_MS; at most MAX_REFUSED_KEYS, so a flood of
     * distinct keys evicts the oldest, which then cost one read again. Hashes, not raw keys: a
     * refused key may be a real key mistyped, or another service's. Tenants: it says only
     * "no such key".
     */
    refusedKeys: new LRUCache<string, true>({
      max: MAX_REFUSED_KEYS,
      ttl: REFUSED_KEY_TTL_MS,
    }),
    /**
     * The leases this isolate holds on tenants' rate windows, and the revocations they brought
     * (edge/limits/admission-leases.ts, which bounds the tenants it keeps). Tenants: by tenant id.
     */
    admissionLeases: new AdmissionLeases(),
    /**
     * Usage gathered for the tenants' Durable Objects (edge/limits/usage-batch.ts): one batch per
     * tenant, held until it is sent, USAGE_FLUSH_MS after it opened at most. Tenants: by tenant id.
     */
    usageBatcher: new UsageBatcher(),
    /**
     * The inference nodes of each pool configuration, with their health and /info
     * (edge/origin/node-pool.ts, which keeps at most MAX_POOLS configurations). Tenants: holds
     * nothing of theirs.
     */
    nodePools: new Map<string, NodePool>(),
    /**
     * The model list last served, and the text last saved of it to KV (edge/models/
     * model-catalog.ts): one list. Tenants: holds nothing of theirs.
     */
    catalog: { seen: null as ModelInfo[] | null, snapshot: '' },
    /**
     * Failed admin logins per client address in its current window (edge/admin/login-throttle.ts):
     * the entry's TTL is what is left of the window; at most MAX_LOGIN_CLIENTS clients. Tenants:
     * the admin API's, no tenant's.
     */
    loginFailures: new LRUCache<string, number>({
      max: MAX_LOGIN_CLIENTS,
      ttl: LOGIN_WINDOW_MS,
      // A failure counts into the open window; it does not extend it.
      noUpdateTTL: true,
    }),
  }
}

export type IsolateMemory = ReturnType<typeof freshMemory>

/** This isolate's memory. */
export let isolateMemory: IsolateMemory = freshMemory()

/**
 * Forgets everything, as a fresh isolate starts: for tests, between requests. Work already handed
 * to `waitUntil` (a lease's expiry, a batch of usage to send) finishes on the memory it started
 * with, as it would in an isolate being replaced.
 */
export function resetIsolateMemory(): void {
  isolateMemory = freshMemory()
}

/**
 * The isolate tier's LRU for a budget of `bytes` (isolate-tier.ts reads ISOLATE_CACHE_BYTES),
 * made empty again when the budget read changes.
 */
export function isolateVectors(bytes: number): LRUCache<string, CachedVector> {
  let vectors = isolateMemory.vectors
  if (!vectors || vectors.maxSize !== bytes) {
    vectors = isolateMemory.vectors = new LRUCache<string, CachedVector>({
      maxSize: bytes,
      sizeCalculation: (entry, key) =>
        entry.vector.byteLength + key.length + VECTOR_ENTRY_OVERHEAD_BYTES,
      // The entries' own expiry is in Date.now() terms; no timers (a timer per lookup is what
      // ttlResolution > 0 would cost).
      perf: { now: () => Date.now() },
      ttlResolution: 0,
    })
  }
  return vectors
}
