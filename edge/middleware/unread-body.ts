/**
 * Reads and drops, after the answer has gone out, a request body no handler read: the body
 * of a request refused before its route (401, 404, 415, 429). Under workerd's local runtime
 * (wrangler dev, Miniflare), an answer to a POST whose body was never read made workerd close
 * the kept-alive connection, and the client's next request on it failed ("socket hang up").
 * Cancelling the body did not help; reading it did.
 *
 * The answer is not held back for it (waitUntil), and at most MAX_DISCARDED_BYTES are read: a
 * larger body, or one a middleware left locked (Hono's bodyLimit refusing a body sent
 * without a length), is cancelled or left as it is, and its connection may then be closed.
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.ts'

/** Refused requests are mostly small JSON bodies; reading more than this is not worth it. */
const MAX_DISCARDED_BYTES = 64 * 1024

async function discard(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader()
  let bytes = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    bytes += value.byteLength
    if (bytes > MAX_DISCARDED_BYTES) return reader.cancel()
  }
}

export const discardUnreadBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next()
  const { body, bodyUsed, headers } = c.req.raw
  if (!body || bodyUsed || body.locked) return
  const dropping =
    Number(headers.get('content-length')) > MAX_DISCARDED_BYTES ? body.cancel() : discard(body)
  c.executionCtx.waitUntil(dropping.catch(() => {}))
}
