/**
 * The request body's size limit (MAX_BODY_BYTES, default 16 MiB): 2048 inputs of a few
 * thousand characters fit; anything larger is a mistake or abuse, refused with a 413.
 *
 * A declared length over the limit is refused without reading; a body sent without one is read
 * up to the limit, and refused at the first byte past it. Either way the rest of a refused body
 * is left for unread-body.ts, which reads it to its end before the 413 leaves: under workerd, a
 * 413 sent while the client was still uploading became a reset or wrangler dev's 503. Hono's
 * bodyLimit is not used because it keeps its lock on a body it refuses, so nothing could read
 * the rest.
 *
 * The README's request walk: step 4.
 */
import type { MiddlewareHandler } from 'hono'
import { ApiError } from '../../shared/errors.ts'
import { edgeConfig } from '../config.ts'
import type { AppEnv } from '../env.ts'

export function bodyTooLarge(maxSize: number): ApiError {
  return new ApiError(413, `the request body is over ${maxSize} bytes`, {
    code: 'request_too_large',
  })
}

/** The length a request declares, when its framing is that length rather than chunks. */
export function declaredLength(req: Request): number | null {
  const length = req.headers.get('content-length')
  return length === null || req.headers.has('transfer-encoding') ? null : Number(length)
}

/** The body read whole, or a 413 as soon as it passes `maxSize` (the rest left unread). */
async function readUpTo(
  body: ReadableStream<Uint8Array>,
  maxSize: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxSize) throw bodyTooLarge(maxSize)
      chunks.push(value)
    }
  } finally {
    reader.releaseLock()
  }
  const whole = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    whole.set(chunk, offset)
    offset += chunk.byteLength
  }
  return whole
}

export const bodySizeLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const req = c.req.raw
  if (!req.body) return next()
  const maxSize = edgeConfig(c.env).MAX_BODY_BYTES
  const declared = declaredLength(req)
  if (declared !== null) {
    if (declared > maxSize) throw bodyTooLarge(maxSize)
    return next()
  }
  c.req.raw = new Request(req, { body: await readUpTo(req.body, maxSize) })
  return next()
}
