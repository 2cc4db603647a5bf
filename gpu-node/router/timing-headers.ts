/**
 * Where a request's time went, as response headers named as
 * text-embeddings-inference names them, in milliseconds: the edge can put
 * them in its own Server-Timing, and an operator can read them with curl -i.
 */
import { TOTAL_TIME_HEADER } from '../../shared/node-protocol.ts'
import type { RequestTimings } from '../core/infer.ts'

export function timingHeaders(timings: RequestTimings): Record<string, string> {
  const ms = (value: number) => value.toFixed(2)
  return {
    [TOTAL_TIME_HEADER]: ms(timings.totalMs),
    'x-tokenization-time': ms(timings.tokenizationMs),
    'x-queue-time': ms(timings.queueMs),
    'x-inference-time': ms(timings.inferenceMs),
  }
}
