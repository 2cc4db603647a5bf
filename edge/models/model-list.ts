/** The answer of GET /v1/models, as a zod schema (GET /openapi.json shows it). */
import { z } from 'zod'

export const ModelListSchema = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      id: z.string(),
      object: z.literal('model'),
      created: z.number(),
      owned_by: z.string(),
      // Beyond OpenAI's fields: what a client needs to choose `dimensions` and templates.
      dimensions: z.int().meta({ description: 'the full vector size' }),
      max_input_tokens: z.int(),
      matryoshka: z.boolean().meta({ description: 'whether a shorter `dimensions` keeps meaning' }),
      instruction_format: z.enum(['qwen3', 'none']),
      revision: z
        .string()
        .meta({ description: 'the weights that answer; part of every cache key' }),
      variant: z.string().optional().meta({ description: 'the precision served, e.g. `fp16`' }),
    }),
  ),
})
export type ModelList = z.infer<typeof ModelListSchema>
