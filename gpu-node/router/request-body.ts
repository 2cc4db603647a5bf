/**
 * The raw request, read the cheap way. On Node (@hono/node-server puts the
 * `IncomingMessage` in `c.env`), the body is read straight from the socket and
 * a gone client is seen on the response's `close` event: going through the
 * fetch `Request` object instead (`c.req.arrayBuffer()`, `c.req.raw.signal`,
 * Hono's bodyLimit) builds an undici Request and a web stream for every call,
 * which cost more main-thread time than the rest of a request. Elsewhere
 * (`app.request` in tests) the standard Request is used.
 */
import type { HttpBindings } from '@hono/node-server'
import type { Context } from 'hono'
import { ApiError } from '../../shared/errors.ts'

/** What @hono/node-server passes as `c.env`; absent under `app.request`. */
const nodeBindings = (c: Context) => c.env as Partial<HttpBindings> | undefined

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, `the request body is over ${maxBytes} bytes`)
}

/** The body as bytes; 413 as soon as it passes `maxBytes`. */
export async function readBody(c: Context, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(c.req.header('content-length') ?? NaN)
  if (declared > maxBytes) throw tooLarge(maxBytes)
  const incoming = nodeBindings(c)?.incoming
  if (!incoming) {
    const body = new Uint8Array(await c.req.arrayBuffer())
    if (body.byteLength > maxBytes) throw tooLarge(maxBytes)
    return body
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) throw tooLarge(maxBytes)
    chunks.push(chunk)
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)
}

/** Aborts when the client closes the connection before the answer is sent. */
export function clientGoneSignal(c: Context): AbortSignal {
  const outgoing = nodeBindings(c)?.outgoing
  if (!outgoing) return c.req.raw.signal
  const controller = new AbortController()
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) controller.abort()
  })
  return controller.signal
}
