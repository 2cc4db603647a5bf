/**
 * The OpenAPI 3.1 document GET /openapi.json serves, generated from the zod schemas that
 * validate requests and type the answers (zod's own JSON Schema output), never written by
 * hand: `/v1/embeddings` with every field and extension and each error status, `/v1/models`,
 * and the admin API. Each request example carries `x-status`, the status the service answers
 * it with; edge/openapi/openapi.test.ts sends every one to the running service.
 *
 * Built in Node, not in the worker: `npm run openapi` writes it to edge/openapi/openapi.json,
 * which the worker serves as it is. zod's JSON Schema generator would otherwise be in the
 * bundle every cold isolate parses; test/docs/openapi.test.ts fails when the file is not what
 * the schemas generate.
 */
import {
  CreatedKeySchema,
  KeyListSchema,
  KeyViewSchema,
  NewKeySchema,
  PoolViewSchema,
  TenantInputSchema,
  TenantListSchema,
  TenantViewSchema,
  UsageViewSchema,
} from '../admin/api-types.ts'
import { ModelListSchema } from '../models/model-list.ts'
import { documentedRequestSchema } from '../embeddings/embeddings-request.ts'
import { EmbeddingsResponseSchema, ErrorBodySchema } from '../embeddings/embeddings-response.ts'
import { typeForStatus } from '../../shared/errors.ts'
import * as z from '../../shared/zod-mini.ts'

/** The model the examples name: the one `npm start` serves. */
export const EXAMPLE_MODEL = 'use-lite-en'

type JsonObject = Record<string, unknown>

/** A schema as OpenAPI 3.1 takes it (JSON Schema 2020-12), for what is sent or what comes back. */
function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): JsonObject {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' })
  return rest
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const json = (schema: object, extra: JsonObject = {}) => ({
  content: { 'application/json': { schema, ...extra } },
})

/** The error statuses, each with when it happens and an example body's code. */
const EMBEDDING_ERRORS: Record<number, [string, string]> = {
  400: [
    'a field is missing or invalid (`param` names it), unknown template, malformed JSON, a token id outside the vocabulary',
    'invalid_value',
  ],
  401: ['missing, malformed, unknown or revoked API key', 'invalid_api_key'],
  403: [
    "the key may not use that model, or asks for more `dimensions` than its tenant's `max_dimensions`",
    'model_not_allowed',
  ],
  404: ['no such model', 'model_not_found'],
  413: ['body over `MAX_BODY_BYTES` (16 MiB by default)', 'request_too_large'],
  415: ['body not sent as `application/json`', 'unsupported_media_type'],
  422: ["an input over the model's maximum with `truncate: false`", 'input_too_long'],
  429: [
    "the tenant's requests or tokens per minute are spent (`Retry-After`, `x-ratelimit-*`)",
    'rate_limit_exceeded',
  ],
  503: [
    'no inference node could compute the misses (cached inputs are still answered)',
    'origin_unavailable',
  ],
  504: ['the inference nodes did not answer within `NODE_TIMEOUT_MS`', 'origin_timeout'],
}

function errorResponses(statuses: number[], table = EMBEDDING_ERRORS): JsonObject {
  return Object.fromEntries(
    statuses.map((status) => {
      const [description, code] = table[status] ?? ['see the message', 'invalid_value']
      return [
        String(status),
        {
          description,
          ...json(ref('Error'), {
            example: {
              error: { message: description, type: typeForStatus(status), param: null, code },
            },
          }),
        },
      ]
    }),
  )
}

/** Request examples of POST /v1/embeddings, with the status each gets. */
export const EMBEDDINGS_EXAMPLES: Record<
  string,
  { summary: string; value: unknown; 'x-status': number }
> = {
  texts: {
    summary: 'two texts, float vectors',
    value: {
      model: EXAMPLE_MODEL,
      input: ['A cat sits on the mat', 'A kitten is sitting on a rug'],
    },
    'x-status': 200,
  },
  shortBase64: {
    summary: 'a Matryoshka prefix of 128 dimensions, as base64 float32',
    value: { model: EXAMPLE_MODEL, input: 'hello', dimensions: 128, encoding_format: 'base64' },
    'x-status': 200,
  },
  query: {
    summary: 'a query with an instruction (the template places it)',
    value: {
      model: EXAMPLE_MODEL,
      input: 'cheap flights to Lisbon',
      instruction: 'Find travel offers',
      input_type: 'query',
    },
    'x-status': 200,
  },
  tokenIds: {
    summary: 'token ids, which skip tokenization',
    value: { model: EXAMPLE_MODEL, input: [[101, 2023, 102]] },
    'x-status': 200,
  },
  unknownField: {
    summary: 'an unknown field is refused, never ignored',
    value: { model: EXAMPLE_MODEL, input: 'hello', temperature: 0.2 },
    'x-status': 400,
  },
  emptyText: {
    summary: 'an empty string',
    value: { model: EXAMPLE_MODEL, input: ['fine', ''] },
    'x-status': 400,
  },
  tooFewDimensions: {
    summary: '`dimensions` under 32',
    value: { model: EXAMPLE_MODEL, input: 'hello', dimensions: 16 },
    'x-status': 400,
  },
  unknownModel: {
    summary: 'a model no node serves',
    value: { model: 'no-such-model', input: 'hello' },
    'x-status': 404,
  },
  tooLong: {
    summary: "over the model's maximum, with truncate: false",
    value: { model: EXAMPLE_MODEL, input: 'word '.repeat(3000), truncate: false },
    'x-status': 422,
  },
}

function adminPaths(): JsonObject {
  const admin = { security: [{ adminSecret: [] }], tags: ['admin'] }
  const tenantId = { name: 'tenantId', in: 'path', required: true, schema: { type: 'string' } }
  const keyId = { name: 'keyId', in: 'path', required: true, schema: { type: 'string' } }
  const notFound = { '404': { description: 'no such tenant (or key)', ...json(ref('Error')) } }
  const adminErrors = {
    '401': { description: 'missing or wrong admin secret', ...json(ref('Error')) },
    '503': {
      description: 'the admin API is off: `ADMIN_SECRET` is unset or unusable',
      ...json(ref('Error')),
    },
  }
  const ok = (schema: string, status = '200') => ({
    [status]: { description: 'OK', ...json(ref(schema)) },
  })
  return {
    '/admin/tenants': {
      get: {
        ...admin,
        summary: 'List tenant ids',
        responses: { ...ok('TenantList'), ...adminErrors },
      },
      post: {
        ...admin,
        summary: 'Create a tenant',
        requestBody: {
          required: true,
          ...json(ref('TenantInput'), {
            example: { id: 'acme', name: 'Acme', limits: { requests_per_minute: 600 } },
          }),
        },
        responses: {
          ...ok('Tenant', '201'),
          '400': { description: 'an invalid or unknown field', ...json(ref('Error')) },
          '409': { description: 'the tenant exists (update it with PATCH)', ...json(ref('Error')) },
          ...adminErrors,
        },
      },
    },
    '/admin/tenants/{tenantId}': {
      parameters: [tenantId],
      get: {
        ...admin,
        summary: 'Read a tenant',
        responses: { ...ok('Tenant'), ...notFound, ...adminErrors },
      },
      patch: {
        ...admin,
        summary: 'Change some of its fields (null removes one; `limits` merges)',
        requestBody: {
          required: true,
          ...json({ type: 'object' }, { example: { max_dimensions: 256 } }),
        },
        responses: {
          ...ok('Tenant'),
          '400': { description: 'an invalid field, or a changed id', ...json(ref('Error')) },
          ...notFound,
          ...adminErrors,
        },
      },
    },
    '/admin/tenants/{tenantId}/keys': {
      parameters: [tenantId],
      get: {
        ...admin,
        summary: "List the tenant's keys (never the keys themselves)",
        responses: { ...ok('KeyList'), ...notFound, ...adminErrors },
      },
      post: {
        ...admin,
        summary: 'Create a key: the answer is the only time it is shown',
        requestBody: {
          required: true,
          ...json(ref('NewKey'), { example: { name: 'search-backend' } }),
        },
        responses: { ...ok('CreatedKey', '201'), ...notFound, ...adminErrors },
      },
    },
    '/admin/tenants/{tenantId}/keys/{keyId}/revoke': {
      parameters: [tenantId, keyId],
      post: {
        ...admin,
        summary: 'Revoke a key: refused at once here, within a second everywhere',
        responses: { ...ok('KeyView'), ...notFound, ...adminErrors },
      },
    },
    '/admin/tenants/{tenantId}/keys/{keyId}/rotate': {
      parameters: [tenantId, keyId],
      post: {
        ...admin,
        summary: 'A new key for the same holder; the old one revoked',
        responses: {
          ...ok('CreatedKey', '201'),
          '409': { description: 'the key is already revoked', ...json(ref('Error')) },
          ...notFound,
          ...adminErrors,
        },
      },
    },
    '/admin/tenants/{tenantId}/usage': {
      parameters: [tenantId],
      get: {
        ...admin,
        summary: "The tenant's usage, per key, and its rate window",
        responses: { ...ok('UsageView'), ...notFound, ...adminErrors },
      },
    },
    '/admin/pool': {
      get: {
        ...admin,
        summary: 'The origin pool as the answering isolate sees it from this request',
        responses: { ...ok('PoolView'), ...adminErrors },
      },
    },
    '/admin/monitor': {
      get: {
        ...admin,
        summary: "Every inference node's vector drift report",
        responses: {
          '200': {
            description: "`{nodes: [...]}`, each the node's /monitor report with its url",
            ...json({ type: 'object' }),
          },
          ...adminErrors,
        },
      },
    },
  }
}

/** The document, as edge/openapi/openapi.json holds it. */
export function openApiDocument(): JsonObject {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Embedding service',
      version: '1',
      description:
        "OpenAI-compatible embeddings for instruction-aware models (Qwen3-Embedding), with this service's extensions. Generated from the schemas that validate requests.",
    },
    tags: [{ name: 'embeddings' }, { name: 'admin' }],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: "a tenant's API key" },
        adminSecret: { type: 'http', scheme: 'bearer', description: 'the ADMIN_SECRET' },
      },
      schemas: {
        EmbeddingsRequest: jsonSchema(documentedRequestSchema, 'input'),
        EmbeddingsResponse: jsonSchema(EmbeddingsResponseSchema, 'output'),
        Error: jsonSchema(ErrorBodySchema, 'output'),
        ModelList: jsonSchema(ModelListSchema, 'output'),
        TenantInput: jsonSchema(TenantInputSchema, 'input'),
        Tenant: jsonSchema(TenantViewSchema, 'output'),
        TenantList: jsonSchema(TenantListSchema, 'output'),
        NewKey: jsonSchema(NewKeySchema, 'input'),
        KeyView: jsonSchema(KeyViewSchema, 'output'),
        CreatedKey: jsonSchema(CreatedKeySchema, 'output'),
        KeyList: jsonSchema(KeyListSchema, 'output'),
        UsageView: jsonSchema(UsageViewSchema, 'output'),
        PoolView: jsonSchema(PoolViewSchema, 'output'),
      },
    },
    paths: {
      '/v1/embeddings': {
        post: {
          tags: ['embeddings'],
          summary: 'Embed texts or token ids',
          security: [{ apiKey: [] }],
          requestBody: {
            required: true,
            ...json(ref('EmbeddingsRequest'), { examples: EMBEDDINGS_EXAMPLES }),
          },
          responses: {
            '200': {
              description:
                'The vectors, in input order. Headers: `x-request-id`, `x-cache` (hit, miss or partial), `x-cache-tier`, `Server-Timing`, and `x-ratelimit-*` for a tenant with limits.',
              ...json(ref('EmbeddingsResponse')),
            },
            ...errorResponses([400, 401, 403, 404, 413, 415, 422, 429, 503, 504]),
          },
        },
      },
      '/v1/models': {
        get: {
          tags: ['embeddings'],
          summary: 'The models this key may use',
          security: [{ apiKey: [] }],
          responses: {
            '200': { description: 'OK', ...json(ref('ModelList')) },
            ...errorResponses([401]),
          },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1', ...json({ type: 'object' }) } },
        },
      },
      ...adminPaths(),
    },
  }
}
