/**
 * `POST /v1/embeddings` response, as OpenAI defines it, and the error body every status but
 * 200 carries: zod schemas, so GET /openapi.json shows them and tests check real answers
 * against them.
 */
import { z } from 'zod'

export const EmbeddingObjectSchema = z.object({
  object: z.literal('embedding'),
  index: z.int().min(0),
  embedding: z.union([z.array(z.number()), z.string()]).meta({
    description:
      'float: the numbers (unit length); base64: the same as little-endian float32 bytes',
  }),
})
export type EmbeddingObject = z.infer<typeof EmbeddingObjectSchema>

export const EmbeddingsResponseSchema = z.object({
  object: z.literal('list'),
  data: z.array(EmbeddingObjectSchema),
  model: z.string(),
  usage: z.object({
    prompt_tokens: z.int().min(0).meta({ description: 'cached inputs counted too' }),
    total_tokens: z.int().min(0),
  }),
})
export type EmbeddingsResponse = z.infer<typeof EmbeddingsResponseSchema>

/** OpenAI's error body (shared/errors.ts makes it). */
export const ErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string().meta({ description: 'the class of failure, e.g. `invalid_request_error`' }),
    param: z.string().nullable().meta({ description: 'the field at fault, e.g. `input[3]`' }),
    code: z.string().nullable().meta({ description: 'a stable code, e.g. `invalid_value`' }),
  }),
})
