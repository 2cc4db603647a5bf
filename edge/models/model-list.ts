/** The answer of GET /v1/models, as a zod schema (GET /openapi.json shows it). */
import * as z from '../../shared/zod-mini.ts'

export const ModelListSchema = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      id: z.string(),
      object: z.literal('model'),
      created: z.number(),
      owned_by: z.string(),
      // Beyond OpenAI's fields: what a client needs to choose `dimensions` and templates.
      dimensions: z.int().check(z.meta({ description: 'the full vector size' })),
      max_input_tokens: z.int(),
      matryoshka: z
        .boolean()
        .check(z.meta({ description: 'whether a shorter `dimensions` keeps meaning' })),
      instruction_format: z.enum(['qwen3', 'none']),
      revision: z
        .string()
        .check(z.meta({ description: 'the weights that answer; part of every cache key' })),
      variant: z
        .optional(z.string())
        .check(z.meta({ description: 'the precision served, e.g. `fp16`' })),
    }),
  ),
})
export type ModelList = z.infer<typeof ModelListSchema>
