/**
 * `POST /v1/embeddings`: the request as OpenAI defines it, plus the
 * extensions for instruction-aware models, validated into one normalized form.
 * Every rejection is an ApiError naming the offending field.
 */
import { ApiError } from '../../shared/errors.ts'
import * as z from '../../shared/zod-mini.ts'

export const MAX_INPUT_ITEMS = 2048
export const MIN_DIMENSIONS = 32

const tokenIds = z
  .array(z.int().check(z.minimum(0), z.maximum(2 ** 31 - 1)))
  .check(
    z.minLength(1),
    z.meta({ description: "token ids of the model's vocabulary: they skip tokenization" }),
  )

/**
 * OpenAI's four input shapes, as GET /openapi.json shows them. parseInput checks the same
 * rules in one pass, naming the item at fault (a union would try up to four shapes on 2048
 * items); embeddings-request.test.ts holds the two to accepting exactly the same inputs.
 */
export const inputSchema = z
  .union([
    z.string().check(z.minLength(1)),
    z.array(z.string().check(z.minLength(1))).check(z.minLength(1), z.maxLength(MAX_INPUT_ITEMS)),
    tokenIds,
    z.array(tokenIds).check(z.minLength(1), z.maxLength(MAX_INPUT_ITEMS)),
  ])
  .check(
    z.meta({
      description: `the text to embed, or its token ids: a string, up to ${MAX_INPUT_ITEMS} strings, a token-id list, or up to ${MAX_INPUT_ITEMS} token-id lists; no empty string`,
    }),
  )

const requestSchema = z.strictObject({
  input: z.unknown(),
  model: z
    .string({ error: 'model must be a string' })
    .check(z.minLength(1, 'model must not be empty')),
  dimensions: z.optional(
    z
      .int({ error: 'dimensions must be an integer' })
      .check(z.minimum(MIN_DIMENSIONS, `dimensions must be at least ${MIN_DIMENSIONS}`)),
  ),
  encoding_format: z._default(
    z.enum(['float', 'base64'], { error: "encoding_format must be 'float' or 'base64'" }),
    'float',
  ),
  user: z.optional(z.string({ error: 'user must be a string' }).check(z.maxLength(256))),
  // Extensions for instruction-aware models.
  input_type: z.optional(
    z.enum(['query', 'document'], { error: "input_type must be 'query' or 'document'" }),
  ),
  instruction: z.optional(
    z.string({ error: 'instruction must be a string' }).check(z.minLength(1), z.maxLength(4096)),
  ),
  template: z.optional(
    z.string({ error: 'template must be a string' }).check(z.minLength(1), z.maxLength(128)),
  ),
  task_type: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  use_case: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  /** true (default): cut inputs past the model's maximum; false: refuse them with 422. */
  truncate: z._default(z.boolean({ error: 'truncate must be a boolean' }), true),
})

export type Input = { kind: 'text'; items: string[] } | { kind: 'ids'; items: number[][] }

export type EmbeddingsRequest = Omit<z.infer<typeof requestSchema>, 'input'> & { input: Input }

function badInput(message: string): ApiError {
  return new ApiError(400, message, { param: 'input', code: 'invalid_input' })
}

/** One input of a list is refused: its position is the error's `input_index` (param `input[i]`). */
function badItem(index: number, message: string): ApiError {
  return new ApiError(400, message, { inputIndex: index, code: 'invalid_input' })
}

function isTokenId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 2 ** 31
}

/** `ids` as token ids, or the error about them (from `refuse`: the request's input, or one item). */
function checkTokenIds(ids: unknown[], refuse: (message: string) => ApiError): number[] {
  if (ids.length === 0) throw refuse('must not be an empty token list')
  const bad = ids.findIndex((id) => !isTokenId(id))
  if (bad >= 0)
    throw refuse(`has item ${bad}, which is not a token id (an integer from 0 to 2^31 - 1)`)
  return ids as number[]
}

/**
 * Normalizes OpenAI's four input shapes (string, string[], int[], int[][]).
 * Lone UTF-16 surrogates cannot be encoded as UTF-8, so they become U+FFFD
 * here, once, before hashing and tokenizing agree on the text.
 */
export function parseInput(input: unknown): Input {
  if (input === undefined || input === null) throw badInput("'input' is required")
  if (typeof input === 'string') {
    if (input.length === 0) throw badInput("'input' must not be an empty string")
    return { kind: 'text', items: [input.toWellFormed()] }
  }
  if (!Array.isArray(input)) {
    throw badInput("'input' must be a string, an array of strings, or an array of token ids")
  }
  if (input.length === 0) throw badInput("'input' must not be an empty array")
  if (input.every((item) => typeof item === 'number')) {
    return { kind: 'ids', items: [checkTokenIds(input, (why) => badInput(`'input' ${why}`))] }
  }
  if (input.length > MAX_INPUT_ITEMS) {
    throw badInput(`'input' has ${input.length} items; at most ${MAX_INPUT_ITEMS} are allowed`)
  }
  if (input.every((item) => typeof item === 'string')) {
    const empty = input.findIndex((item) => item.length === 0)
    if (empty >= 0) throw badItem(empty, 'an input must not be an empty string')
    return { kind: 'text', items: input.map((item: string) => item.toWellFormed()) }
  }
  if (input.every((item) => Array.isArray(item))) {
    return {
      kind: 'ids',
      items: input.map((ids: unknown[], i) =>
        checkTokenIds(ids, (why) => badItem(i, `a token-id input ${why}`)),
      ),
    }
  }
  throw badInput("'input' items must be all strings or all token-id arrays, not a mix")
}

function describePath(path: PropertyKey[]): string {
  return path.map(String).join('.')
}

/**
 * The request as GET /openapi.json documents it: the validated schema, with `input` in its
 * four shapes.
 */
export const documentedRequestSchema = z.extend(requestSchema, { input: inputSchema })

/** Validates a parsed JSON body; throws ApiError(400) naming the first bad field. */
export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'the request body must be a JSON object', { code: 'invalid_body' })
  }
  const result = requestSchema.safeParse(body)
  if (!result.success) {
    const issue = result.error.issues[0]
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]
      throw new ApiError(400, `Unrecognized request argument supplied: ${key}`, {
        param: key,
        code: 'unknown_parameter',
      })
    }
    const param = describePath(issue.path)
    const missing = issue.path.length === 1 && !(String(issue.path[0]) in body)
    throw new ApiError(400, missing ? `'${param}' is required` : issue.message, {
      param,
      code: 'invalid_value',
    })
  }
  if (!('input' in body)) throw badInput("'input' is required")
  const input = parseInput(result.data.input)
  const request = { ...result.data, input }
  // Token ids are final: nothing a template would place has anywhere to go.
  const placed = (['template', 'instruction', 'task_type', 'use_case'] as const).find(
    (field) => request[field] !== undefined,
  )
  if (input.kind === 'ids' && placed) {
    throw new ApiError(400, `${placed} cannot be applied to token-id input; send text instead`, {
      param: placed,
      code: 'invalid_value',
    })
  }
  return request
}
