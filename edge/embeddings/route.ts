/**
 * `POST /v1/embeddings`: a body this isolate has just answered is answered
 * again from memory (response-memo.ts); otherwise validate, template, derive
 * a cache key per final input, resolve the distinct keys through the cache
 * tiers and the origin pool (resolve-vectors.ts), project to `dimensions`,
 * encode.
 *
 * The README's request walk: step 5.
 */
import { Hono } from 'hono'
import { endTime, setMetric, startTime } from 'hono/timing'
import { cacheKey } from '../../shared/cache-key.ts'
import { parseEmbeddingsRequest, type EmbeddingsRequest } from './embeddings-request.ts'
import { CACHE_HEADER, CACHE_TIER_HEADER } from './embeddings-response.ts'
import { ApiError, tooManyTokens } from '../../shared/errors.ts'
import type { ModelInfo } from '../../shared/node-protocol.ts'
import { KvBudget } from '../cache/kv-budget.ts'
import { edgeConfig } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { findModel, modelCatalog } from '../models/model-catalog.ts'
import { callerPlace } from '../origin/place.ts'
import type { PoolItem } from '../origin/embed-on-pool.ts'
import { dimensionsFor } from '../tenants/dimensions-policy.ts'
import { cacheScopeOf, type Tenant } from '../tenants/tenant.ts'
import {
  embeddingJson,
  embeddingsResponseJson,
  embeddingsResponseStream,
} from './embedding-json.ts'
import { finalInputs } from './final-inputs.ts'
import { recallAnswer, rememberAnswer } from './response-memo.ts'
import { TIER_ORDER, resolveVectors } from './resolve-vectors.ts'
import { nodeCallsFor, requestTokenBounds } from './node-calls.ts'

export const embeddingsRoute = new Hono<AppEnv>()

/** The body's text, once its content type says JSON. */
async function readJsonText(req: Request): Promise<string> {
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
  return req.text()
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new ApiError(400, 'the request body is not valid JSON', { code: 'invalid_json' })
  }
}

/** The dimensions to answer with: the request's, else the tenant's cap, else the model's size. */
function checkModelAccess(tenant: Tenant, model: ModelInfo, request: EmbeddingsRequest): number {
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
  return dimensionsFor(tenant, request.dimensions, model.dimensions)
}

const jsonResponse = { 'content-type': 'application/json' }

/** JSON bytes an answer's dimension costs, about: a float32 written out, or base64 of 4 bytes. */
const BYTES_PER_DIMENSION = { float: 12, base64: 4 * (4 / 3) }
/** Answers larger than this are streamed (the response memo holds 8 MiB in all). */
const STREAM_ANSWERS_OVER_BYTES = 1024 * 1024

embeddingsRoute.post('/', async (c) => {
  const tenant = c.get('tenant')
  const text = await readJsonText(c.req.raw)
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p)
  if (tenant.edge_cache) {
    const revisionOf = async (id: string) =>
      (await modelCatalog(c.env, waitUntil)).find((m) => m.id === id)?.revision
    const recalled = await recallAnswer(c.env, tenant, text, revisionOf)
    if (recalled) {
      c.set('usage', recalled.usage)
      c.header(CACHE_HEADER, 'hit')
      c.header(CACHE_TIER_HEADER, 'memo')
      return c.body(recalled.json, 200, jsonResponse)
    }
  }

  const request = parseEmbeddingsRequest(parseJson(text))
  const model = await findModel(c.env, waitUntil, request.model)
  const dimensions = checkModelAccess(tenant, model, request)

  const inputs = finalInputs(request, model, tenant)
  const bounds = requestTokenBounds(inputs, model, request.truncate)
  const maxRequestTokens = edgeConfig(c.env).MAX_REQUEST_TOKENS
  if (bounds.lower > maxRequestTokens) throw tooManyTokens(bounds.lower, maxRequestTokens)
  // Charged before any work, settled to the real count after: a request that fails or times
  // out costs its tenant what it may have cost the nodes.
  await c.get('reserveTokens')?.(bounds.upper)

  // Distinct final inputs: a repeated input is looked up and computed once.
  const scope = cacheScopeOf(tenant)
  const keys = await Promise.all(
    inputs.map((input) => cacheKey({ scope, model: model.id, revision: model.revision }, input)),
  )
  const distinct = new Map<string, PoolItem>()
  keys.forEach(
    (key, index) => distinct.has(key) || distinct.set(key, { key, input: inputs[index], index }),
  )

  const { entries, hits, misses, cacheable, tiers } = await resolveVectors(
    { env: c.env, origin: new URL(c.req.url).origin, waitUntil, kv: new KvBudget() },
    {
      model,
      scope,
      items: [...distinct.values()],
      truncate: request.truncate,
      ttlSeconds: tenant.cache_ttl_seconds,
      edgeCache: tenant.edge_cache,
      calls: await nodeCallsFor(tenant, model, request.truncate, bounds, maxRequestTokens),
      from: callerPlace(c.req.raw),
    },
    {
      start: (name) => startTime(c, name),
      end: (name) => endTime(c, name),
      // Which GPU region and node computed the misses: one entry per node.
      servedBy: (node, ms) =>
        setMetric(c, 'origin', ms, `region=${node.region.name} node=${node.id}`),
    },
  )

  let tokens = 0
  for (const key of keys) tokens += entries.get(key)!.tokens
  c.set('usage', { tokens, cacheHits: hits, cacheMisses: misses })
  c.header(CACHE_HEADER, misses === 0 ? 'hit' : hits === 0 ? 'miss' : 'partial')
  c.header(CACHE_TIER_HEADER, TIER_ORDER.filter((tier) => tiers.has(tier)).join(', '))
  const jsonOf = (index: number) => {
    const key = keys[index]
    const { vector } = entries.get(key)!
    return embeddingJson(key, vector, dimensions, request.encoding_format, tenant.edge_cache)
  }
  const answerBytes = keys.length * dimensions * BYTES_PER_DIMENSION[request.encoding_format]
  if (answerBytes > STREAM_ANSWERS_OVER_BYTES) {
    // Too large to remember, and to hold as one string: written as the client reads it.
    const stream = embeddingsResponseStream(keys.length, jsonOf, model.id, tokens)
    return c.body(stream, 200, jsonResponse)
  }
  const data = keys.map((_, index) => ({ index, json: jsonOf(index) }))
  const json = embeddingsResponseJson(data, model.id, tokens)
  if (cacheable) {
    const vectors = new Map([...entries].map(([key, entry]) => [key, entry.vector]))
    rememberAnswer(text, {
      tenant,
      model: model.id,
      revision: model.revision,
      vectors,
      json,
      tokens,
    })
  }
  return c.body(json, 200, jsonResponse)
})
