/**
 * Keeps the sessions busy (TEI's batching task and its one-slot channel):
 *
 * - an idle session gets work the moment there is any: no timer, no waiting
 *   for company;
 * - while every session is busy, exactly one batch is kept prepared (chosen
 *   and padded) so the next free session starts it without delay. When inputs
 *   arrive meanwhile, it is chosen again with them in view;
 * - sessions are served round-robin, so several GPUs (or CPU sessions) share
 *   the load;
 * - inputs whose client has gone are dropped before they reach a session.
 */
import { ApiError } from '../../shared/errors.ts'
import type { EmbeddingBackend } from '../backend/backend.ts'
import type { PaddedBatch } from '../backend/padded-batch.ts'
import { retryable } from '../threads/restarting-thread.ts'
import type { NodeMetrics } from './metrics.ts'
import { BatchCostModel } from './batch-cost.ts'
import type { VectorStats } from './vector-stats.ts'
import { BatchQueue, type BatchLimits, type Queued } from './queue.ts'

/** One input waiting for its vector. */
export interface InputJob {
  ids: ArrayLike<number>
  /** Its index in the request, for the `param` of an error about it. */
  index: number
  /** Aborted when the client has gone; the input is then dropped, not run. */
  signal?: AbortSignal
  /** Called exactly once. */
  done: (outcome: JobOutcome) => void
}

export type JobOutcome =
  { vector: Float32Array; startedAt: number; finishedAt: number } | { error: Error }

function invalidVector(job: InputJob, norm: number): ApiError {
  const what = Number.isNaN(norm) ? 'NaN or infinite values' : 'all zeros'
  return new ApiError(
    422,
    `input[${job.index}]: the model produced a vector of ${what}; it is neither returned nor cached`,
    { param: `input[${job.index}]`, code: 'invalid_vector' },
  )
}

/** Thrown to a request whose client disconnected; nobody reads the answer. */
export class ClientGoneError extends ApiError {
  constructor() {
    super(499, 'the client closed the connection before inference', { code: 'client_gone' })
  }
}

interface Prepared {
  slots: Queued<InputJob>[]
  batch: PaddedBatch
  /** The queue's arrivals count when this batch was chosen. */
  arrivals: number
}

export class BatchScheduler {
  private readonly queue: BatchQueue<InputJob>
  private readonly busy: boolean[]
  /** Learns from every batch what a run costs; the queue groups lengths by it. */
  readonly cost: BatchCostModel
  private prepared: Prepared | null = null
  private nextBackend = 0
  private arrivals = 0

  constructor(
    private readonly backends: EmbeddingBackend[],
    private readonly limits: BatchLimits,
    private readonly prepare: (rows: ArrayLike<number>[]) => PaddedBatch,
    private readonly metrics?: NodeMetrics,
    private readonly stats?: VectorStats,
  ) {
    if (backends.length === 0) throw new Error('the scheduler needs at least one session')
    this.queue = new BatchQueue(limits)
    this.cost = new BatchCostModel(limits.maxBatchTokens)
    this.busy = backends.map(() => false)
  }

  /** Inputs waiting for a session, the prepared batch included. */
  get queuedInputs(): number {
    return this.queue.size + (this.prepared?.slots.length ?? 0)
  }

  /** Unpadded tokens waiting for a session, the prepared batch included. */
  get queuedTokens(): number {
    return this.queue.tokens + (this.prepared?.batch.realTokens ?? 0)
  }

  /** Queues one request's inputs; `tenant` (the edge's tag) is what the queue is fair between. */
  submit(jobs: InputJob[], tenant?: string): void {
    if (jobs.length === 0) return
    this.queue.push(jobs, (job) => job.ids.length, tenant)
    this.arrivals++
    this.pump()
  }

  /** Drops the waiting inputs `matches` picks, failing them with `error` (default: client gone). */
  drop(matches: (job: InputJob) => boolean, error: Error = new ClientGoneError()): void {
    const removed = this.queue.remove(matches)
    const prepared = this.prepared
    if (prepared && prepared.slots.some((slot) => matches(slot.item))) {
      removed.push(...prepared.slots.filter((slot) => matches(slot.item)))
      const kept = prepared.slots.filter((slot) => !matches(slot.item))
      this.prepared = kept.length > 0 ? this.prepareFrom(kept) : null
    }
    this.fail(removed, error)
    if (error instanceof ClientGoneError) this.metrics?.requestDropped.inc(removed.length)
    this.pump()
  }

  /** Hands out work while there is work and an idle session. */
  private pump(): void {
    for (;;) {
      this.refreshPrepared()
      if (!this.prepared) break
      const index = this.takeIdleBackend()
      if (index < 0) break
      const { slots, batch } = this.prepared
      this.prepared = null
      void this.run(index, slots, batch)
    }
    this.updateGauges()
  }

  /** Keeps the prepared batch current: without gone clients, re-chosen when inputs arrived. */
  private refreshPrepared(): void {
    const prepared = this.prepared
    if (prepared) {
      const live = this.withoutGoneClients(prepared.slots)
      // A full batch has no room for what arrived; choosing again would only cost time.
      const full =
        live.length >= this.limits.maxBatchRequests ||
        prepared.batch.seq * (live.length + 1) > this.limits.maxBatchTokens ||
        this.limits.attention?.fits(live.length + 1, prepared.batch.seq) === false
      if (this.queue.size > 0 && prepared.arrivals !== this.arrivals && !full) {
        this.queue.putBack(live)
        this.prepared = null
      } else if (live.length !== prepared.slots.length) {
        this.prepared = live.length > 0 ? this.prepareFrom(live) : null
      }
    }
    while (!this.prepared && this.queue.size > 0) {
      const live = this.withoutGoneClients(this.queue.nextBatch(this.cost.overheadTokens()))
      if (live.length > 0) this.prepared = this.prepareFrom(live)
    }
  }

  private prepareFrom(slots: Queued<InputJob>[]): Prepared {
    const batch = this.prepare(slots.map((slot) => slot.item.ids))
    return { slots, batch, arrivals: this.arrivals }
  }

  private withoutGoneClients(slots: Queued<InputJob>[]): Queued<InputJob>[] {
    const gone = slots.filter((slot) => slot.item.signal?.aborted)
    if (gone.length === 0) return slots
    this.fail(gone, new ClientGoneError())
    this.metrics?.requestDropped.inc(gone.length)
    return slots.filter((slot) => !slot.item.signal?.aborted)
  }

  /** The next idle, live session after the last one used (round-robin); -1 if none. */
  private takeIdleBackend(): number {
    const count = this.backends.length
    if (!this.backends.some((backend) => backend.alive)) {
      // Its sessions are being restarted (threads/restarting-thread.ts): a retry may succeed.
      this.failEverything(
        retryable('no inference session is running: the node is restarting them', 1),
      )
      return -1
    }
    for (let step = 0; step < count; step++) {
      const index = (this.nextBackend + step) % count
      if (!this.busy[index] && this.backends[index].alive) {
        this.busy[index] = true
        this.nextBackend = (index + 1) % count
        return index
      }
    }
    return -1
  }

  private async run(index: number, slots: Queued<InputJob>[], batch: PaddedBatch): Promise<void> {
    const backend = this.backends[index]
    const { rows, seq, realTokens } = batch
    const startedAt = performance.now()
    try {
      const embedded = await backend.embed(batch)
      const { vectors, norms } = embedded
      if (vectors.length !== rows)
        throw new Error(
          `the ${backend.label} session answered ${vectors.length} vectors for ${rows} inputs`,
        )
      const finishedAt = performance.now()
      this.stats?.observe(embedded)
      slots.forEach((slot, row) => {
        // A NaN, infinite or all-zero vector is never returned nor cached; the batch's other
        // inputs, other requests' included, are served as usual.
        if (!(norms[row] > 0))
          return slot.item.done({ error: invalidVector(slot.item, norms[row]) })
        slot.item.done({ vector: vectors[row], startedAt, finishedAt })
      })
      this.cost.observe(rows * seq, (finishedAt - startedAt) / 1000)
      this.recordBatch(backend.label, rows, seq, realTokens, (finishedAt - startedAt) / 1000)
      if (embedded.busyMs !== undefined)
        this.metrics?.deviceBusy.inc({ session: backend.label }, embedded.busyMs / 1000)
    } catch (err) {
      this.fail(slots, err as Error)
    } finally {
      this.busy[index] = false
      this.pump()
    }
  }

  private recordBatch(session: string, rows: number, seq: number, real: number, seconds: number) {
    const metrics = this.metrics
    if (!metrics) return
    metrics.batchSize.observe(rows)
    metrics.batchTokens.observe(rows * seq)
    metrics.batchPaddingRatio.observe(1 - real / (rows * seq))
    metrics.paddingTokens.inc(rows * seq - real)
    metrics.batchInferenceDuration.observe({ session }, seconds)
    metrics.batchOverheadTokens.set(this.cost.overheadTokens())
  }

  private fail(slots: Queued<InputJob>[], error: Error): void {
    for (const slot of slots) slot.item.done({ error })
  }

  private failEverything(error: Error): void {
    if (this.prepared) this.fail(this.prepared.slots, error)
    this.prepared = null
    this.fail(
      this.queue.remove(() => true),
      error,
    )
  }

  private updateGauges(): void {
    this.metrics?.queueSize.set(this.queuedInputs)
    this.metrics?.queueTokens.set(this.queuedTokens)
  }
}
