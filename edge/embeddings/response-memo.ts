/**
 * Whole answers to request bodies this isolate has just answered, for the traffic the service
 * lives on: the same query, sent again as the same body. Such a request would parse and
 * validate the body, apply templates, hash every input and write the JSON again, only to reach
 * the same vectors in the isolate tier; here it costs a lookup.
 *
 * A remembered answer is used only while it is exactly what the full path would answer:
 * - for the same tenant record (a changed tenant is a new object: templates, dimensions caps);
 * - while the model's revision in the catalog is the one it was computed under;
 * - while every vector it holds is still the one the isolate tier returns for its key, so it
 *   never outlives a vector's TTL, an eviction, or a fresh isolate.
 * Only answers whose vectors all came from, or went into, the isolate tier are remembered.
 * Keyed by tenant and the exact body text; the memory itself, its bound and the same-object rule
 * the first and last conditions rest on are in edge/isolate/isolate-memory.ts (`answers`).
 */
import type { Env, RequestUsage } from '../env.ts'
import { readIsolate } from '../cache/isolate-tier.ts'
import { isolateMemory } from '../isolate/isolate-memory.ts'
import type { Tenant } from '../tenants/tenant.ts'

export interface RememberedAnswer {
  tenant: Tenant
  model: string
  revision: string
  /** Each distinct cache key of the request, with the vector object the answer was written from. */
  vectors: Map<string, Float32Array>
  json: string
  /** Tokens of every input; distinct inputs all count as cache hits when the answer is reused. */
  tokens: number
}

const memoKey = (tenant: Tenant, body: string) => `${tenant.id}\n${body}`

/**
 * Bodies longer than this are neither looked up nor remembered: the memo is for the repeated
 * short query, and keying a map by a 16 MB body would copy it whole (the key is flattened).
 */
const MAX_BODY_CHARS = 64 * 1024

/**
 * The remembered answer to `body` from `tenant`, if it is still exactly what the full path
 * would give. `revisionOf` names the catalog's current revision of a model.
 */
export async function recallAnswer(
  env: Env,
  tenant: Tenant,
  body: string,
  revisionOf: (model: string) => Promise<string | undefined>,
): Promise<{ json: string; usage: RequestUsage } | null> {
  if (body.length > MAX_BODY_CHARS) return null
  const answer = isolateMemory.answers.get(memoKey(tenant, body))
  if (!answer) return null
  const current =
    answer.tenant === tenant &&
    (await revisionOf(answer.model)) === answer.revision &&
    [...answer.vectors].every(([key, vector]) => readIsolate(env, key)?.vector === vector)
  if (!current) return null
  return {
    json: answer.json,
    usage: { tokens: answer.tokens, cacheHits: answer.vectors.size, cacheMisses: 0 },
  }
}

export function rememberAnswer(body: string, answer: RememberedAnswer): void {
  if (body.length > MAX_BODY_CHARS) return
  isolateMemory.answers.set(memoKey(answer.tenant, body), answer)
}
