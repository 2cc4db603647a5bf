/**
 * The edge's one error handler: ApiError and Hono's HTTPException become
 * OpenAI-shaped responses; anything else is a bug, logged, and a generic 500
 * that leaks nothing.
 */
import type { ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { ApiError } from '../../shared/errors.ts'

export const handleError: ErrorHandler = (err, c) => {
  const requestId = c.get('requestId' as never) as string | undefined
  const idHeader: Record<string, string> = requestId ? { 'x-request-id': requestId } : {}
  if (err instanceof ApiError) return err.toResponse(idHeader)
  if (err instanceof HTTPException) {
    // Middleware that built its own OpenAI-shaped response (auth) keeps it.
    const res = err.getResponse()
    if (res.headers.get('content-type')?.includes('application/json')) return res
    return new ApiError(err.status, err.message || res.statusText || 'request failed').toResponse(
      idHeader,
    )
  }
  console.error(`request ${requestId ?? '?'} failed:`, err)
  return new ApiError(500, 'internal error; the request id identifies it in our logs', {
    type: 'server_error',
  }).toResponse(idHeader)
}

export const handleNotFound: NotFoundHandler = (c) =>
  new ApiError(404, `no route for ${c.req.method} ${new URL(c.req.url).pathname}`).toResponse()
