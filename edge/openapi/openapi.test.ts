/**
 * GET /openapi.json on the real edge in workerd, against a real inference node: the edge
 * serves the committed document, every request example in it gets the status it documents,
 * and what comes back matches the document's own response schemas (the zod schemas it is
 * generated from). test/docs/openapi.test.ts validates the document itself in Node, and that
 * it is what the schemas generate.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { PoolViewSchema, TenantViewSchema } from '../admin/api-types.ts'
import { ModelListSchema } from '../models/model-list.ts'
import { EmbeddingsResponseSchema, ErrorBodySchema } from '../embeddings/embeddings-response.ts'
import { callAdmin } from '../../test/support/admin-harness.ts'
import { callEdge, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import openApiDocument from './openapi.json'

const KEY = 'sk-test-openapi-examples'
const EMBEDDINGS_EXAMPLES =
  openApiDocument.paths['/v1/embeddings'].post.requestBody.content['application/json'].examples

beforeAll(async () => {
  await seedTenant({ id: 'openapi-examples' }, KEY)
})

describe('GET /openapi.json', () => {
  it('serves the committed document, with no key', async () => {
    const response = await callEdge('/openapi.json')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual(openApiDocument)
  })

  it.each(Object.entries(EMBEDDINGS_EXAMPLES))(
    'example %s gets the status it documents, in the documented shape',
    async (_, example) => {
      const response = await postEmbeddings(example.value, { key: KEY })
      const body = await response.json()
      expect([response.status, body]).toEqual([example['x-status'], expect.anything()])
      const schema = response.status === 200 ? EmbeddingsResponseSchema : ErrorBodySchema
      expect(schema.safeParse(body).error?.issues ?? []).toEqual([])
    },
  )

  it('describes what /v1/models and the admin API answer', async () => {
    const models = await callEdge('/v1/models', { headers: { authorization: `Bearer ${KEY}` } })
    expect(ModelListSchema.safeParse(await models.json()).success).toBe(true)
    const tenant = await callAdmin('GET', '/tenants/openapi-examples')
    expect(TenantViewSchema.safeParse(await tenant.json()).success).toBe(true)
    const pool = await callAdmin('GET', '/pool')
    expect(PoolViewSchema.safeParse(await pool.json()).error?.issues ?? []).toEqual([])
  })
})
