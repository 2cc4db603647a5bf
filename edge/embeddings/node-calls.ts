/**
 * What a request's node calls carry besides its inputs, decided once per
 * request: the tenant's tags and the token limits.
 *
 * - `tenant`: a hash of the tenant's id, which the node's queue is fair
 *   between (gpu-node/core/queue.ts); the node never learns the id itself.
 * - `cacheScope`: the same tag for a tenant-scoped cache, `shared` for the
 *   shared pool, so the node's own cache answers a tenant only with vectors
 *   computed for its scope.
 * - the request's share of MAX_REQUEST_TOKENS, given out to its calls as they
 *   go (edge/origin/token-ledger.ts), so a node refuses an over-limit request
 *   before inference even when it sees only one part of it.
 */
import { sha256Hex } from '../../shared/hashing.ts'
import type { ModelInfo, ModelInput } from '../../shared/node-protocol.ts'
import type { PoolItem, PoolRequest } from '../origin/embed-on-pool.ts'
import { TokenLedger } from '../origin/token-ledger.ts'
import { isolateMemory } from '../isolate/isolate-memory.ts'
import type { Tenant } from '../tenants/tenant.ts'
import { tokenLowerBound, tokenUpperBound } from './token-bounds.ts'

export type NodeCalls = Pick<PoolRequest, 'tenant' | 'cacheScope' | 'tokensAtMost' | 'tokens'>

export interface RequestTokens {
  /** The least and the most tokens all the request's inputs together can have. */
  lower: number
  upper: number
}

export function requestTokenBounds(
  inputs: ModelInput[],
  model: ModelInfo,
  truncate: boolean,
): RequestTokens {
  let lower = 0
  let upper = 0
  for (const input of inputs) {
    lower += tokenLowerBound(input, model, truncate)
    upper += tokenUpperBound(input, model, truncate)
  }
  return { lower, upper }
}

/**
 * Kept by tenant object (`tenantTags` in edge/isolate/isolate-memory.ts): the record is one
 * object per tenant while it is cached, so a cached request hashes nothing.
 */
function tenantTag(tenant: Tenant): Promise<string> {
  const tags = isolateMemory.tenantTags
  let tag = tags.get(tenant)
  if (!tag) {
    tag = sha256Hex(`tenant:${tenant.id}`).then((hex) => hex.slice(0, 32))
    tags.set(tenant, tag)
  }
  return tag
}

export async function nodeCallsFor(
  tenant: Tenant,
  model: ModelInfo,
  truncate: boolean,
  tokens: RequestTokens,
  maxRequestTokens: number,
): Promise<NodeCalls> {
  const tag = await tenantTag(tenant)
  const most = (item: PoolItem) => tokenUpperBound(item.input, model, truncate)
  const least = (item: PoolItem) => tokenLowerBound(item.input, model, truncate)
  return {
    tenant: tag,
    cacheScope: tenant.cache_scope === 'shared' ? 'shared' : tag,
    tokensAtMost: most,
    tokens: new TokenLedger(maxRequestTokens, tokens.lower, most, least),
  }
}
