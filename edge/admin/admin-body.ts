/** Reads an admin request's JSON body into a schema's type; every refusal is a 400 naming the field. */
import type { Context } from 'hono'
import { ApiError } from '../../shared/errors.ts'
import type * as z from '../../shared/zod-mini.ts'

/** The body as a JSON object (an empty body is `{}`), or a 400. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text()
  if (text.trim() === '') return {}
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new ApiError(400, 'the request body is not valid JSON', { code: 'invalid_json' })
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'the request body must be a JSON object', { code: 'invalid_body' })
  }
  return body as Record<string, unknown>
}

/** Validates with `schema`; the first issue becomes the 400's message and `param`. */
export function parseWith<S extends z.ZodMiniType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  if (issue.code === 'unrecognized_keys') {
    throw new ApiError(400, `unknown field '${issue.keys[0]}'`, {
      param: issue.keys[0],
      code: 'unknown_parameter',
    })
  }
  const param = issue.path.map(String).join('.')
  throw new ApiError(400, param ? `${param}: ${issue.message}` : issue.message, {
    param: param || null,
    code: 'invalid_value',
  })
}
