/**
 * Reads a request body that no handler read to its end, before the answer leaves. This covers
 * the body of a request refused before its route (401, 404, 415, 429) and the rest of one refused
 * for its size (413). Under workerd's local runtime (wrangler dev, Miniflare), answering while a
 * body was still unread made workerd close the connection:
 * - a client that had sent the whole body lost its kept-alive connection, and its next request
 *   on it failed ("socket hang up");
 * - a client still uploading (30 MB) saw the connection reset;
 * - wrangler dev's proxy, which forwards each request to the worker over HTTP, answered 503
 *   "Your worker restarted mid-request", or passed on the 413 without its body.
 * Cancelling the body did not help, and neither did reading it after the answer (waitUntil).
 * Only a body read to its end before the answer is sent is safe on every hop. Holding the
 * answer back costs the client's upload time, which it spends anyway. It costs no memory: the
 * chunks are dropped as they arrive.
 *
 * Draining also makes the size limit hold for every request: an unread body over MAX_BODY_BYTES
 * is answered with the 413, whatever else was wrong with the request (a wrong key, a wrong route).
 * At most MAX_DRAINED_BYTES are read. A larger body is cancelled and refused at once, and its
 * client may see the connection reset.
 */
import type { MiddlewareHandler } from 'hono'
import { edgeConfig } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { bodyTooLarge, declaredLength } from './body-size.ts'

/**
 * Past this much, reading on costs more than a clean answer is worth. Cloudflare refuses bodies
 * over 100 MB (500 MB on Enterprise plans) before the worker runs, so deployed it is rarely
 * reached.
 */
const MAX_DRAINED_BYTES = 128 * 1024 * 1024

/** The body's size, read to its end; Infinity once past `limit` (the rest then cancelled). */
async function drain(body: ReadableStream<Uint8Array>, limit: number): Promise<number> {
  const reader = body.getReader()
  let bytes = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return bytes
    bytes += value.byteLength
    if (bytes > limit) {
      await reader.cancel()
      return Infinity
    }
  }
}

export const discardUnreadBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next()
  const req = c.req.raw
  // A locked body is being read, or was read to its end, by a handler.
  if (!req.body || req.body.locked) return
  const maxSize = edgeConfig(c.env).MAX_BODY_BYTES
  // Never below the size limit, so that draining can always tell whether a body is over it.
  const limit = Math.max(MAX_DRAINED_BYTES, maxSize)
  const declared = declaredLength(req)
  let size: number
  try {
    size =
      declared !== null && declared > limit
        ? await req.body.cancel().then(() => declared)
        : await drain(req.body, limit)
  } catch {
    return // The client went away before its body ended: there is no one left to answer.
  }
  // An answer that already is the 413 keeps its headers (x-ratelimit-*).
  if (size > maxSize && c.res.status !== 413) {
    // The refusal's own headers (a 401's WWW-Authenticate, a 429's Retry-After) are not the 413's.
    c.res = undefined
    throw bodyTooLarge(maxSize)
  }
}
