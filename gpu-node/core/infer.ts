/**
 * One embed request, start to finish (TEI's `infer`):
 *
 * 1. admission: past `maxConcurrentRequests` requests at once → 429 at once;
 * 2. the node-local vector cache answers the inputs it has;
 * 3. the rest are tokenized on worker threads, which stop with a 400 as soon
 *    as the inputs pass MAX_REQUEST_TOKENS (or the call's own `max_tokens`);
 * 4. admission again: an input whose attention scores alone would pass
 *    MAX_ATTENTION_BYTES → 413; if their tokens would push the queue past
 *    `maxQueuedTokens` → 429 (a request alone in an empty queue always gets in);
 * 5. the scheduler batches them with other requests' inputs, fair between
 *    the tenants the edge tags requests with (queue.ts); if the client
 *    goes away meanwhile, its inputs are dropped before inference;
 * 6. vectors and token counts come back in input order, with timings.
 *
 * The README's request walk: step 12.
 */
import { ApiError } from '../../shared/errors.ts'
import { mayHaveBeenCut, type EmbedRequest, type ModelInput } from '../../shared/node-protocol.ts'
import type { VectorFrame } from '../../shared/vector-codec.ts'
import type { ModelManifest } from '../model/manifest.ts'
import type { AttentionBudget } from './attention-memory.ts'
import { ClientGoneError, type BatchScheduler, type InputJob } from './batch-scheduler.ts'
import type { NodeMetrics } from './metrics.ts'
import type { VectorCache } from './vector-cache.ts'

export interface AdmissionLimits {
  maxConcurrentRequests: number
  /** Most tokens one call may compute, all inputs together (MAX_REQUEST_TOKENS). */
  maxRequestTokens: number
  maxQueuedTokens: number
  /** Absent: the graph's attention memory is not bounded. */
  attention?: AttentionBudget
}

/** Where each millisecond of a request went; the router sends them as x-*-time headers. */
export interface RequestTimings {
  tokenizationMs: number
  queueMs: number
  inferenceMs: number
  totalMs: number
}

export interface InferResult {
  frame: VectorFrame
  timings: RequestTimings
  /** Inputs answered from the node-local cache. */
  cacheHits: number
}

export interface Tokenization {
  /** Refuses (400, shared/errors.ts `tooManyTokens`) as soon as the inputs pass `maxTokens`. */
  encode(
    inputs: ModelInput[],
    truncate: boolean,
    indices: number[],
    maxTokens: number,
  ): Promise<ArrayLike<number>[]>
}

/** Seconds a client told 429 should wait: batches here take milliseconds to seconds. */
const RETRY_AFTER_SECONDS = '1'

export class Infer {
  private inFlight = 0

  constructor(
    private readonly manifest: ModelManifest,
    private readonly tokenization: Tokenization,
    private readonly scheduler: BatchScheduler,
    private readonly cache: VectorCache,
    private readonly limits: AdmissionLimits,
    private readonly metrics: NodeMetrics,
  ) {}

  get requestsInFlight(): number {
    return this.inFlight
  }

  async embed(request: EmbedRequest, signal?: AbortSignal): Promise<InferResult> {
    if (request.model !== this.manifest.id) {
      throw new ApiError(404, `this node does not serve the model '${request.model}'`, {
        param: 'model',
        code: 'model_not_found',
      })
    }
    if (this.inFlight >= this.limits.maxConcurrentRequests) {
      throw this.overloaded(
        'concurrency',
        `the node is serving ${this.inFlight} requests, its maximum`,
      )
    }
    this.inFlight++
    try {
      return await this.serve(request, signal)
    } finally {
      this.inFlight--
    }
  }

  private async serve(request: EmbedRequest, signal?: AbortSignal): Promise<InferResult> {
    const started = performance.now()
    const { inputs, truncate } = request
    const vectors: Float32Array[] = new Array(inputs.length)
    const tokenCounts: number[] = new Array(inputs.length)
    // The edge sends the digests it keyed its own cache by: then nothing is hashed here.
    const { cache_scope: scope, input_digests: digests } = request
    const keys = !this.cache.enabled
      ? null
      : digests
        ? digests.map((digest) => this.cache.keyOfDigest(digest, scope))
        : await Promise.all(inputs.map((input) => this.cache.key(input, scope)))
    const missing: number[] = []
    inputs.forEach((_, i) => {
      const hit = keys ? this.cache.get(keys[i]) : undefined
      // A vector of a cut input must not answer a request that asked not to cut.
      if (hit && (truncate || !mayHaveBeenCut(hit.tokens, this.manifest.max_input_tokens))) {
        vectors[i] = hit.vector
        tokenCounts[i] = hit.tokens
      } else {
        missing.push(i)
      }
    })
    this.metrics.cacheHits.inc(inputs.length - missing.length)
    this.metrics.cacheMisses.inc(missing.length)

    const timings: RequestTimings = { tokenizationMs: 0, queueMs: 0, inferenceMs: 0, totalMs: 0 }
    if (missing.length > 0) {
      const tokenizing = performance.now()
      const maxTokens = Math.min(this.limits.maxRequestTokens, request.max_tokens ?? Infinity)
      const ids = await this.tokenization.encode(
        missing.map((i) => inputs[i]),
        truncate,
        missing,
        maxTokens,
      )
      timings.tokenizationMs = performance.now() - tokenizing
      if (signal?.aborted) throw new ClientGoneError()
      ids.forEach((row, k) => this.limits.attention?.check(row.length, missing[k]))
      const tokens = ids.reduce((sum, row) => sum + row.length, 0)
      const queued = this.scheduler.queuedTokens
      if (queued > 0 && queued + tokens > this.limits.maxQueuedTokens) {
        throw this.overloaded(
          'queued_tokens',
          `${queued} tokens are already waiting; ${tokens} more would pass the node's maximum of ${this.limits.maxQueuedTokens}`,
        )
      }
      for (const row of ids) this.metrics.inputLength.observe(row.length)

      const enqueued = performance.now()
      const outcomes = await this.runAll(ids, missing, request.tenant, signal)
      const firstStart = Math.min(...outcomes.map((o) => o.startedAt))
      const lastEnd = Math.max(...outcomes.map((o) => o.finishedAt))
      timings.queueMs = Math.max(0, firstStart - enqueued)
      timings.inferenceMs = lastEnd - firstStart
      missing.forEach((inputIndex, k) => {
        vectors[inputIndex] = outcomes[k].vector
        tokenCounts[inputIndex] = ids[k].length
        if (keys) {
          this.cache.set(keys[inputIndex], {
            vector: outcomes[k].vector,
            tokens: ids[k].length,
          })
        }
      })
      this.metrics.cacheBytes.set(this.cache.bytes)
      this.metrics.tokenizationDuration.observe(timings.tokenizationMs / 1000)
      this.metrics.queueDuration.observe(timings.queueMs / 1000)
      this.metrics.inferenceDuration.observe(timings.inferenceMs / 1000)
    }
    timings.totalMs = performance.now() - started
    return { frame: { vectors, tokenCounts }, timings, cacheHits: inputs.length - missing.length }
  }

  /** Queues one job per input; resolves with all outcomes, or rejects on the first failure. */
  private runAll(
    ids: ArrayLike<number>[],
    indices: number[],
    tenant: string | undefined,
    signal?: AbortSignal,
  ) {
    type Done = { vector: Float32Array; startedAt: number; finishedAt: number }
    const mine = new Set<InputJob>()
    const dropMine = () => this.scheduler.drop((job) => mine.has(job))
    return new Promise<Done[]>((resolve, reject) => {
      const outcomes: Done[] = new Array(ids.length)
      let remaining = ids.length
      let failed = false
      const finish = (error?: Error) => {
        signal?.removeEventListener('abort', dropMine)
        if (error) reject(error)
        else resolve(outcomes)
      }
      const jobs = ids.map((row, k): InputJob => ({
        ids: row,
        index: indices[k],
        signal,
        done: (outcome) => {
          if (failed) return
          if ('error' in outcome) {
            failed = true
            // The request has failed: its other inputs need not run.
            this.scheduler.drop((job) => mine.has(job), outcome.error)
            return finish(outcome.error)
          }
          outcomes[k] = outcome
          if (--remaining === 0) finish()
        },
      }))
      for (const job of jobs) mine.add(job)
      signal?.addEventListener('abort', dropMine, { once: true })
      this.scheduler.submit(jobs, tenant)
    })
  }

  private overloaded(reason: 'concurrency' | 'queued_tokens', detail: string): ApiError {
    this.metrics.requestRejected.inc({ reason })
    return new ApiError(429, `the inference node is at capacity: ${detail}; retry shortly`, {
      code: 'node_overloaded',
      headers: { 'retry-after': RETRY_AFTER_SECONDS },
    })
  }
}
