/**
 * GET /openapi.json's document (edge/openapi/openapi.json, which the worker serves), checked in
 * Node: it is what edge/openapi/document.ts generates from the zod schemas today, a maintained
 * OpenAPI validator (@readme/openapi-parser) accepts it, its examples validate against its own
 * schemas, and every request body the official `openai` client sends validates against the
 * embeddings request schema (ajv, JSON Schema 2020-12). The workerd test next to the document
 * sends each example to the running service.
 */
import { validate } from '@readme/openapi-parser'
import Ajv2020 from 'ajv/dist/2020.js'
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { EMBEDDINGS_EXAMPLES, openApiDocument } from '../../edge/openapi/document.ts'
import served from '../../edge/openapi/openapi.json'

type Doc = {
  components: { schemas: Record<string, object> }
  paths: Record<string, Record<string, unknown>>
}
const doc = served as unknown as Doc

/** A validator for one of the document's schemas, its $refs resolved within the document. */
function validatorFor(name: string) {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  ajv.addSchema({ $id: 'doc', components: doc.components }, 'doc')
  return ajv.compile({ $ref: `doc#/components/schemas/${name}` })
}

describe('the OpenAPI document', () => {
  it('is what the zod schemas generate (after changing one: npm run openapi)', () => {
    expect(served).toEqual(JSON.parse(JSON.stringify(openApiDocument())))
  })

  it('is valid OpenAPI 3.1 by a maintained validator', async () => {
    const result = await validate(structuredClone(doc) as never)
    expect(result.valid ? [] : result.errors).toEqual([])
    expect((doc as unknown as { openapi: string }).openapi).toBe('3.1.0')
  })

  it('covers the embeddings, the models and the admin API, with every error status', () => {
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/embeddings',
        '/v1/models',
        '/admin/tenants',
        '/admin/tenants/{tenantId}/keys',
        '/admin/tenants/{tenantId}/usage',
        '/admin/pool',
      ]),
    )
    const responses = (doc.paths['/v1/embeddings'].post as { responses: object }).responses
    expect(Object.keys(responses)).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '413',
      '415',
      '422',
      '429',
      '503',
      '504',
    ])
    // Every field the request schema takes, the extensions included.
    const request = doc.components.schemas.EmbeddingsRequest as { properties: object }
    expect(Object.keys(request.properties).sort()).toEqual([
      'dimensions',
      'encoding_format',
      'input',
      'input_type',
      'instruction',
      'model',
      'task_type',
      'template',
      'truncate',
      'use_case',
      'user',
    ])
  })

  it('has request examples that its schema accepts exactly when the service answers 200 or 4xx for them', () => {
    const check = validatorFor('EmbeddingsRequest')
    for (const [name, example] of Object.entries(EMBEDDINGS_EXAMPLES)) {
      // Shape errors are the schema's to catch; a model no node serves or a text over the
      // maximum is well-formed, and the service decides.
      const shapeError = ['unknownField', 'emptyText', 'tooFewDimensions'].includes(name)
      expect([name, check(example.value)]).toEqual([name, !shapeError])
    }
  })

  it('accepts every request body the official openai client sends', async () => {
    const bodies: unknown[] = []
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: 'http://edge.test/v1',
      fetch: async (_url: unknown, init?: { body?: unknown }) => {
        bodies.push(JSON.parse(String(init?.body)))
        return new Response(
          JSON.stringify({
            object: 'list',
            data: [{ object: 'embedding', index: 0, embedding: 'AACAPw==' }],
            model: 'use-lite-en',
            usage: { prompt_tokens: 1, total_tokens: 1 },
          }),
          { headers: { 'content-type': 'application/json' } },
        )
      },
    })
    await client.embeddings.create({ model: 'use-lite-en', input: 'hello' })
    await client.embeddings.create({ model: 'use-lite-en', input: ['a', 'b'], dimensions: 64 })
    await client.embeddings.create({
      model: 'use-lite-en',
      input: [1, 2, 3],
      encoding_format: 'float',
    })
    await client.embeddings.create({ model: 'use-lite-en', input: [[1, 2], [3]], user: 'someone' })
    const check = validatorFor('EmbeddingsRequest')
    expect(bodies).toHaveLength(4)
    for (const body of bodies) expect([body, check(body), check.errors]).toEqual([body, true, null])
  })
})
