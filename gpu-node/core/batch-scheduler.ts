/**
 * Keeps the sessions busy (TEI's batching task and its one-slot channel):
 *
 * - an idle session gets work the moment there is any: no timer, no waiting
 *   for company;
 * - while every session is busy, one batch is kept prepared (chosen and
 *   padded). When inputs arrive meanwhile, it is chosen again with them in
 *   view. Once the queue holds more than it (a backlog: arrivals would not
 *   change it much), it is sent ahead to wait in a busy session's inbox, one
 *   per session, as TEI's one-slot channel does: the session starts it the
 *   moment it finishes, instead of waiting for this thread, busy with HTTP,
 *   to hear of the finish and send the next (on a fast GPU that wait was
 *   about a sixth of the device's time: docs/performance.md);
 * - sessions are served round-robin, so several GPUs (or CPU sessions) share
 *   the load;
 * - inputs whose client has gone are dropped before they reach a session (a
 *   batch sent ahead has reached one).
 *
 * The README's request walk: step 14.
 */
import { ApiError } from '../../shared/errors.ts'
import { BatchNotRunError, type EmbeddingBackend } from '../backend/backend.ts'
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
    `the model produced a vector of ${what} for this input; it is neither returned nor cached`,
    { inputIndex: job.index, code: 'invalid_vector' },
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

/** A batch handed to a session: running, or waiting in its inbox until the running one ends. */
interface Sent {
  slots: Queued<InputJob>[]
  /** Its unpadded tokens, for queuedTokens (the batch's buffers moved to the session's thread). */
  realTokens: number
  /** When the session started it, as far as this thread can tell; null while it waits. */
  startedAt: number | null
}

/** Per session: the batch it runs and the one sent ahead to wait behind it. */
interface SessionLoad {
  running: Sent | null
  next: Sent | null
}

export class BatchScheduler {
  private readonly queue: BatchQueue<InputJob>
  private readonly loads: SessionLoad[]
  /** Inputs that already went back to the queue once because their batch never ran. */
  private readonly putBackOnce = new WeakSet<Queued<InputJob>>()
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
    this.loads = backends.map(() => ({ running: null, next: null }))
  }

  /** Inputs waiting for a session, the prepared batch and those sent ahead included. */
  get queuedInputs(): number {
    let inputs = this.queue.size + (this.prepared?.slots.length ?? 0)
    for (const { next } of this.loads) inputs += next?.slots.length ?? 0
    return inputs
  }

  /** Unpadded tokens waiting for a session, the prepared batch and those sent ahead included. */
  get queuedTokens(): number {
    let tokens = this.queue.tokens + (this.prepared?.batch.realTokens ?? 0)
    for (const { next } of this.loads) tokens += next?.realTokens ?? 0
    return tokens
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

  /** Hands out work while there is work and an idle session, then sends a batch ahead if due. */
  private pump(): void {
    for (;;) {
      this.refreshPrepared()
      if (!this.prepared) break
      let index = this.takeSession((load) => load.running === null)
      if (index < 0 && this.backlogged()) index = this.takeSession((load) => load.next === null)
      if (index < 0) break
      const { slots, batch } = this.prepared
      this.prepared = null
      void this.run(index, slots, batch)
    }
    this.updateGauges()
  }

  /**
   * Whether the prepared batch is settled enough to send ahead: the queue holds more than it
   * (what arrives would join later batches), or nothing more fits in it.
   */
  private backlogged(): boolean {
    const prepared = this.prepared
    return (
      prepared !== null && (this.queue.size > 0 || this.isFull(prepared, prepared.slots.length))
    )
  }

  /** Whether a batch of `rows` at the prepared length has no room for one more input. */
  private isFull(prepared: Prepared, rows: number): boolean {
    return (
      rows >= this.limits.maxBatchRequests ||
      prepared.batch.seq * (rows + 1) > this.limits.maxBatchTokens ||
      this.limits.attention?.fits(rows + 1, prepared.batch.seq) === false
    )
  }

  /** Keeps the prepared batch current: without gone clients, re-chosen when inputs arrived. */
  private refreshPrepared(): void {
    const prepared = this.prepared
    if (prepared) {
      const live = this.withoutGoneClients(prepared.slots)
      // A full batch has no room for what arrived; choosing again would only cost time.
      const full = this.isFull(prepared, live.length)
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

  /**
   * The next live session after the last one used (round-robin) whose load `free` accepts; -1
   * if none.
   */
  private takeSession(free: (load: SessionLoad) => boolean): number {
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
      if (free(this.loads[index]) && this.backends[index].alive) {
        this.nextBackend = (index + 1) % count
        return index
      }
    }
    return -1
  }

  private async run(index: number, slots: Queued<InputJob>[], batch: PaddedBatch): Promise<void> {
    const backend = this.backends[index]
    const load = this.loads[index]
    const { rows, seq, realTokens } = batch
    const sent: Sent = { slots, realTokens, startedAt: null }
    if (load.running === null) {
      sent.startedAt = performance.now()
      load.running = sent
    } else load.next = sent
    try {
      const embedded = await backend.embed(batch)
      const finishedAt = this.finish(load, sent)
      const startedAt = sent.startedAt ?? finishedAt
      const { vectors, norms } = embedded
      if (vectors.length !== rows)
        throw new Error(
          `the ${backend.label} session answered ${vectors.length} vectors for ${rows} inputs`,
        )
      this.stats?.observe(embedded)
      slots.forEach((slot, row) => {
        // A NaN, infinite or all-zero vector is never returned nor cached; the batch's other
        // inputs, other requests' included, are served as usual.
        if (!(norms[row] > 0))
          return slot.item.done({ error: invalidVector(slot.item, norms[row]) })
        slot.item.done({ vector: vectors[row], startedAt, finishedAt })
      })
      // The device's own time when the backend knows it: a batch that waited in the session's
      // inbox started when the one before it finished there, which this thread hears late.
      const seconds = (embedded.busyMs ?? finishedAt - startedAt) / 1000
      this.cost.observe(rows * seq, seconds)
      this.recordBatch(backend.label, rows, seq, realTokens, seconds)
      if (embedded.busyMs !== undefined)
        this.metrics?.deviceBusy.inc({ session: backend.label }, embedded.busyMs / 1000)
    } catch (err) {
      this.finish(load, sent)
      this.failOrPutBack(slots, err as Error)
    } finally {
      this.pump()
    }
  }

  /** Takes a batch that ended off its session's load; the one waiting behind it starts now. */
  private finish(load: SessionLoad, sent: Sent): number {
    const now = performance.now()
    if (load.running === sent) {
      load.running = load.next
      load.next = null
      if (load.running) load.running.startedAt = now
    } else if (load.next === sent) load.next = null
    return now
  }

  /**
   * A batch that waited behind one its session died running never ran: its inputs go back to
   * the queue, in their fair places, once. Any other failure fails them.
   */
  private failOrPutBack(slots: Queued<InputJob>[], error: Error): void {
    if (!(error instanceof BatchNotRunError)) return this.fail(slots, error)
    const again = slots.filter((slot) => this.putBackOnce.has(slot))
    const back = slots.filter((slot) => !this.putBackOnce.has(slot))
    this.fail(again, error.retry)
    for (const slot of back) this.putBackOnce.add(slot)
    this.queue.putBack(back)
    // As an arrival: the prepared batch is chosen again with them in view.
    if (back.length > 0) this.arrivals++
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
