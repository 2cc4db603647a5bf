/**
 * `POST /v1/embeddings` response, as OpenAI defines it, and the error body every status but
 * 200 carries: zod schemas, so GET /openapi.json shows them and tests check real answers
 * against them.
 */
import * as z from '../../shared/zod-mini.ts'

export const EmbeddingObjectSchema = z.object({
  object: z.literal('embedding'),
  index: z.int().check(z.minimum(0)),
  embedding: z.union([z.array(z.number()), z.string()]).check(
    z.meta({
      description:
        'float: the numbers (unit length); base64: the same as little-endian float32 bytes',
    }),
  ),
})
export type EmbeddingObject = z.infer<typeof EmbeddingObjectSchema>

export const EmbeddingsResponseSchema = z.object({
  object: z.literal('list'),
  data: z.array(EmbeddingObjectSchema),
  model: z.string(),
  usage: z.object({
    prompt_tokens: z
      .int()
      .check(z.minimum(0), z.meta({ description: 'cached inputs counted too' })),
    total_tokens: z.int().check(z.minimum(0)),
  }),
})
export type EmbeddingsResponse = z.infer<typeof EmbeddingsResponseSchema>

/** OpenAI's error body (shared/errors.ts makes it). */
export const ErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z
      .string()
      .check(z.meta({ description: 'the class of failure, e.g. `invalid_request_error`' })),
    param: z
      .nullable(z.string())
      .check(z.meta({ description: 'the field at fault, e.g. `input[3]`' })),
    code: z
      .nullable(z.string())
      .check(z.meta({ description: 'a stable code, e.g. `invalid_value`' })),
    input_index: z.optional(
      z.int().check(
        z.minimum(0),
        z.meta({
          description:
            'the position in `input` of the input the error is about (then `param` is `input[i]`); absent when it is about the request',
        }),
      ),
    ),
  }),
})

/** Response header: whether the inputs were all cached (`hit`), none (`miss`) or some (`partial`). */
export const CACHE_HEADER = 'x-cache'
/** Response header: where the inputs were found, nearest first (`memo`, `isolate`, `lower`, `node`). */
export const CACHE_TIER_HEADER = 'x-cache-tier'
