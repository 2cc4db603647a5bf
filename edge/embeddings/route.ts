/**
 * `POST /v1/embeddings`: validate, template, look every final input up in the
 * cache, send only the distinct misses to the node in one call, store what
 * came back, project to `dimensions`, encode.
 */
import { Hono } from 'hono'
import { endTime, startTime } from 'hono/timing'
import { cacheKey } from '../../shared/cache-key.ts'
import { parseEmbeddingsRequest, type EmbeddingsRequest } from '../../shared/embeddings-request.ts'
import type { EmbeddingsResponse } from '../../shared/embeddings-response.ts'
import { ApiError } from '../../shared/errors.ts'
import type { ModelInfo } from '../../shared/node-protocol.ts'
import { projectVector } from '../../shared/projection.ts'
import { vectorToBase64 } from '../../shared/vector-codec.ts'
import { readVectors, writeVector, type CachedVector } from '../cache/vector-cache.ts'
import type { AppEnv } from '../env.ts'
import { findModel, forgetModelCatalog } from '../models/model-catalog.ts'
import { embedOnNode } from '../origin/node-client.ts'
import { cacheScopeOf, type Tenant } from '../tenants/tenant.ts'
import { finalInputs } from './final-inputs.ts'

export const embeddingsRoute = new Hono<AppEnv>()

async function readJsonBody(req: Request): Promise<unknown> {
  const contentType = req.headers.get('content-type') ?? ''
  if (!/^application\/json\b/i.test(contentType)) {
    throw new ApiError(
      415,
      `send the body as JSON with 'Content-Type: application/json' (got '${contentType}')`,
      {
        code: 'unsupported_media_type',
      },
    )
  }
  try {
    return await req.json()
  } catch {
    throw new ApiError(400, 'the request body is not valid JSON', { code: 'invalid_json' })
  }
}

function checkModelAccess(tenant: Tenant, model: ModelInfo, request: EmbeddingsRequest): void {
  if (!tenant.allowed_models.includes('*') && !tenant.allowed_models.includes(model.id)) {
    throw new ApiError(403, `this key may not use the model '${model.id}'`, {
      param: 'model',
      code: 'model_not_allowed',
    })
  }
  if (request.dimensions !== undefined && request.dimensions > model.dimensions) {
    throw new ApiError(
      400,
      `dimensions must be at most ${model.dimensions} for the model '${model.id}', got ${request.dimensions}`,
      { param: 'dimensions', code: 'invalid_value' },
    )
  }
}

embeddingsRoute.post('/', async (c) => {
  const tenant = c.get('tenant')
  const request = parseEmbeddingsRequest(await readJsonBody(c.req.raw))
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p)
  const model = await findModel(c.env, waitUntil, request.model)
  checkModelAccess(tenant, model, request)

  // Distinct final inputs: a repeated input is looked up and computed once.
  const inputs = finalInputs(request, model, tenant)
  const scope = cacheScopeOf(tenant)
  const keys = await Promise.all(
    inputs.map((input) => cacheKey({ scope, model: model.id, revision: model.revision }, input)),
  )
  const firstIndexOfKey = new Map<string, number>()
  keys.forEach((key, i) => firstIndexOfKey.has(key) || firstIndexOfKey.set(key, i))
  const distinctKeys = [...firstIndexOfKey.keys()]

  startTime(c, 'cache')
  const cached = await readVectors(c.env.VECTOR_CACHE, distinctKeys)
  endTime(c, 'cache')
  const found = new Map<string, CachedVector>()
  // An entry at the model's maximum may have been cut to fit; a request that forbids cutting
  // asks the node again, which refuses it with 422 if it is indeed too long.
  const usable = (entry: CachedVector | null): entry is CachedVector =>
    entry !== null && (request.truncate || entry.tokens < model.max_input_tokens)
  distinctKeys.forEach((key, i) => usable(cached[i]) && found.set(key, cached[i]!))

  const missingKeys = distinctKeys.filter((key) => !found.has(key))
  if (missingKeys.length > 0) {
    const missingInputs = missingKeys.map((key) => inputs[firstIndexOfKey.get(key)!])
    startTime(c, 'node')
    const computed = await embedOnNode(c.env, {
      model: model.id,
      inputs: missingInputs,
      truncate: request.truncate,
    })
    endTime(c, 'node')
    if (computed.revision !== model.revision) forgetModelCatalog()
    for (const [i, key] of missingKeys.entries()) {
      const entry = { vector: computed.vectors[i], tokens: computed.tokenCounts[i] }
      found.set(key, entry)
      // Stored under the revision that computed it; a stale catalog then costs a miss, never a wrong hit.
      const storeKey =
        computed.revision === model.revision
          ? key
          : await cacheKey(
              { scope, model: model.id, revision: computed.revision },
              missingInputs[i],
            )
      waitUntil(writeVector(c.env.VECTOR_CACHE, storeKey, entry, tenant.cache_ttl_seconds))
    }
  }

  const dimensions = request.dimensions ?? model.dimensions
  let tokens = 0
  const data = keys.map((key, index) => {
    const { vector, tokens: inputTokens } = found.get(key)!
    tokens += inputTokens
    const projected = dimensions === vector.length ? vector : projectVector(vector, dimensions)
    const embedding =
      request.encoding_format === 'base64' ? vectorToBase64(projected) : Array.from(projected)
    return { object: 'embedding' as const, index, embedding }
  })
  const hits = distinctKeys.length - missingKeys.length
  c.set('usage', { tokens, cacheHits: hits, cacheMisses: missingKeys.length })
  c.header('x-cache', hits === distinctKeys.length ? 'hit' : hits === 0 ? 'miss' : 'partial')
  const body: EmbeddingsResponse = {
    object: 'list',
    data,
    model: model.id,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  }
  return c.json(body)
})
