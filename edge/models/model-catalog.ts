/**
 * What models the nodes serve (id, revision, dimensions, limits), needed to
 * validate a request and derive its cache keys before any inference.
 *
 * Read from the node's `/info`, kept in isolate memory for a short while, and
 * snapshotted to KV so that a fresh isolate can still answer cached inputs
 * while every node is down.
 */
import { ApiError } from '../../shared/errors.ts'
import { INFO_PATH, type ModelInfo, type NodeInfo } from '../../shared/node-protocol.ts'
import type { Env } from '../env.ts'
import { fetchNode } from '../origin/node-client.ts'

const FRESH_MS = 30_000
/** After a failed refresh, serve what we have for this long before asking the node again. */
const RETRY_AFTER_FAILURE_MS = 5_000
const INFO_TIMEOUT_MS = 2_000
const SNAPSHOT_KEY = 'catalog:v1'

interface CatalogState {
  models: ModelInfo[]
  checkedAt: number
}

// Isolate-wide: every request in this isolate shares one catalog.
let state: CatalogState | null = null

async function fetchCatalog(env: Env): Promise<ModelInfo[]> {
  const response = await fetchNode(env, INFO_PATH, { method: 'GET' }, INFO_TIMEOUT_MS)
  if (!response.ok) throw new ApiError(503, `the inference node's /info answered ${response.status}`)
  return ((await response.json()) as NodeInfo).models
}

/**
 * The models the nodes serve. Falls back to the last catalog seen (memory,
 * then KV) when no node answers; throws 503 only when none was ever seen.
 */
export async function modelCatalog(env: Env, waitUntil: (p: Promise<unknown>) => void): Promise<ModelInfo[]> {
  const now = Date.now()
  if (state && now - state.checkedAt < FRESH_MS) return state.models
  try {
    const models = await fetchCatalog(env)
    const changed = JSON.stringify(models) !== JSON.stringify(state?.models)
    state = { models, checkedAt: now }
    if (changed) waitUntil(env.CONTROL_KV.put(SNAPSHOT_KEY, JSON.stringify(models)))
    return models
  } catch (err) {
    const known = state?.models ?? (await env.CONTROL_KV.get<ModelInfo[]>(SNAPSHOT_KEY, { type: 'json' }))
    if (!known) throw err
    state = { models: known, checkedAt: now - FRESH_MS + RETRY_AFTER_FAILURE_MS }
    return known
  }
}

/** Drops the in-memory catalog, e.g. when a node reports a revision we did not know. */
export function forgetModelCatalog(): void {
  state = null
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
