/**
 * What models the nodes serve (id, revision, dimensions, limits), needed to
 * validate a request and derive its cache keys before any inference: the
 * union of every pool node's /info.
 *
 * /info is read when the isolate first needs it and again in the background
 * every 30 s; the union is snapshotted to KV, so an isolate that starts while
 * every node is down still knows the models and answers cached inputs.
 */
import { ApiError } from '../../shared/errors.ts'
import type { ModelInfo } from '../../shared/node-protocol.ts'
import type { Env } from '../env.ts'
import { isolateMemory } from '../isolate/isolate-memory.ts'
import { markPoolsStale, nodePool } from '../origin/node-pool.ts'

const SNAPSHOT_KEY = 'catalog:v1'

/**
 * The models the nodes serve. Falls back to the last catalog seen (memory,
 * then KV) when no node answers; throws 503 only when none was ever seen.
 */
export async function modelCatalog(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<ModelInfo[]> {
  const pool = nodePool(env)
  // A lookup that finds another's refresh under way joins it: the refresh marks the catalog
  // fresh as it starts, so without this every lookup made during the isolate's first /info
  // found no models and was refused.
  const refresh = pool.infoIsStale() ? pool.refreshInfo() : pool.infoRefreshUnderWay()
  if (refresh) {
    // Kept alive past this request: others may be waiting on it, and a refresh cut short with a
    // cancelled request would leave them, and every later lookup, waiting on a dead promise.
    waitUntil(refresh)
    // With a catalog to serve meanwhile, nobody waits for the nodes.
    if (pool.models().length === 0) await refresh
  }
  const models = pool.models()
  // The last union seen, and what was last written to KV.
  const { catalog } = isolateMemory
  if (models.length > 0) {
    // The same model objects as last time: nothing to compare or write (the common case, and
    // on every request, so it is kept cheap; the same-object rule of isolate-memory.ts).
    if (catalog.seen !== null && sameObjects(models, catalog.seen)) return catalog.seen
    catalog.seen = models
    const snapshot = JSON.stringify(models)
    if (snapshot !== catalog.snapshot) {
      catalog.snapshot = snapshot
      waitUntil(env.CONTROL_KV.put(SNAPSHOT_KEY, snapshot))
    }
    return models
  }
  const known =
    catalog.seen ?? (await env.CONTROL_KV.get<ModelInfo[]>(SNAPSHOT_KEY, { type: 'json' }))
  if (!known) {
    throw new ApiError(503, 'no inference node is reachable and no model catalog was ever seen', {
      code: 'origin_unavailable',
    })
  }
  return known
}

function sameObjects<T>(a: T[], b: T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i])
}

/**
 * Reads every node's /info again at the next lookup and forgets the union in
 * memory: a node reported a revision we did not know.
 */
export function forgetModelCatalog(): void {
  isolateMemory.catalog.seen = null
  isolateMemory.catalog.snapshot = ''
  markPoolsStale()
}

export async function findModel(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  modelId: string,
): Promise<ModelInfo> {
  const model = (await modelCatalog(env, waitUntil)).find((m) => m.id === modelId)
  if (!model) {
    throw new ApiError(404, `The model '${modelId}' does not exist or is not served here`, {
      param: 'model',
      code: 'model_not_found',
    })
  }
  return model
}
