/**
 * The request body's size limit (MAX_BODY_BYTES, default 16 MiB): 2048 inputs of a few
 * thousand characters fit; anything larger is a mistake or abuse, refused with a 413.
 */
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { ApiError } from '../../shared/errors.ts'
import type { AppEnv, Env } from '../env.ts'
import { positiveVar } from '../env-vars.ts'

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024

function maxBodyBytes(env: Env): number {
  return positiveVar(env.MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES)
}

/** Hono's bodyLimit for each limit in use, made once rather than on every request. */
const limiters = new Map<number, MiddlewareHandler>()

function limiterOf(maxSize: number): MiddlewareHandler {
  let limiter = limiters.get(maxSize)
  if (!limiter) {
    limiter = bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(413, `the request body is over ${maxSize} bytes`, {
          code: 'request_too_large',
        })
      },
    })
    limiters.set(maxSize, limiter)
  }
  return limiter
}

export const bodySizeLimit: MiddlewareHandler<AppEnv> = (c, next) =>
  limiterOf(maxBodyBytes(c.env))(c, next)
