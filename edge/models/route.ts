/** `GET /v1/models`: the models this key may use, in OpenAI's list shape. */
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { modelCatalog } from './model-catalog.ts'
import type { ModelList } from './model-list.ts'

export const modelsRoute = new Hono<AppEnv>()

modelsRoute.get('/', async (c) => {
  const tenant = c.get('tenant')
  const allowed = (id: string) =>
    tenant.allowed_models.includes('*') || tenant.allowed_models.includes(id)
  const models = await modelCatalog(c.env, (p) => c.executionCtx.waitUntil(p))
  const body: ModelList = {
    object: 'list',
    data: models
      .filter((model) => allowed(model.id))
      .map((model) => ({
        id: model.id,
        object: 'model',
        created: 0,
        owned_by: 'system',
        // Beyond OpenAI's fields: what a client needs to choose `dimensions` and templates.
        dimensions: model.dimensions,
        max_input_tokens: model.max_input_tokens,
        matryoshka: model.matryoshka,
        instruction_format: model.instruction_format,
        // Which weights answer: the revision is in every cache key, the variant in the revision.
        revision: model.revision,
        ...(model.variant ? { variant: model.variant } : {}),
      })),
  }
  return c.json(body)
})
