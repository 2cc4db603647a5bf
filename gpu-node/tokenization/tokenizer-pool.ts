/**
 * Tokenization off the main thread (TEI's tokenization workers): worker
 * threads, each with its own copy of the model's tokenizer, so a long or
 * many-input request never blocks the event loop that feeds the sessions.
 * One task per request keeps its inputs together; tasks wait in one queue for
 * the next idle thread, so a long text holds up its own thread only.
 *
 * A thread that dies fails the task it held with a retryable 503 and is
 * started again after a backoff (threads/restarting-thread.ts); while none
 * runs, tasks are refused at once with that 503 rather than queued. (piscina,
 * used before, replaced a dead thread at once, with no backoff, and a
 * replacement that failed to load crashed the node: its 'error' event had no
 * listener.)
 */
import { ApiError } from '../../shared/errors.ts'
import type { ModelInput } from '../../shared/node-protocol.ts'
import { RestartingThread, retryable, type Supervision } from '../threads/restarting-thread.ts'
import { ThreadDiedError, WorkerThread } from '../threads/worker-thread.ts'
import type { TokenizeResult, TokenizeTask, TokenizeWorkerData } from './tokenize-worker.ts'

const WORKER_ENTRY = new URL('./tokenize-worker.mjs', import.meta.url)

type TokenizeThread = WorkerThread<TokenizeTask, TokenizeResult>

interface Waiting {
  task: TokenizeTask
  resolve: (result: TokenizeResult) => void
  reject: (error: Error) => void
}

export class TokenizerPool {
  private slots: RestartingThread<TokenizeThread>[] = []
  private busy: boolean[] = []
  private readonly queue: Waiting[] = []
  private readonly started: Promise<void>

  /** Starts `threads` threads, each loading the tokenizer; `warmUp()` resolves once all have. */
  constructor(
    data: TokenizeWorkerData,
    threads: number,
    supervision: Supervision = { log: console.log },
  ) {
    this.started = this.startAll(data, threads, supervision)
    // encode() and warmUp() report a failed start; nothing else waits for it.
    this.started.catch(() => {})
  }

  /** True while every thread has died and none runs again yet (not while they first load). */
  get down(): boolean {
    return this.slots.length > 0 && !this.slots.some((slot) => slot.thread)
  }

  /**
   * Final ids per input (specials, truncation and EOS applied), as views into one array.
   * Throws the tokenizer's ApiError (422 too long, 400 bad token id), or a retryable 503 when
   * the thread died or none runs.
   *
   * @param indices each input's index in the request, for the error's `param`
   * @param maxTokens refuse (400) as soon as the inputs pass this many tokens in all
   */
  async encode(
    inputs: ModelInput[],
    truncate: boolean,
    indices: number[],
    maxTokens?: number,
  ): Promise<Int32Array[]> {
    await this.started
    const result = await this.run({ inputs, truncate, indices, maxTokens })
    if (!result.ok) {
      throw new ApiError(result.status, result.message, { param: result.param, code: result.code })
    }
    const rows: Int32Array[] = []
    let offset = 0
    for (const length of result.lengths) {
      rows.push(result.ids.subarray(offset, offset + length))
      offset += length
    }
    return rows
  }

  /** Resolves once every thread has loaded its tokenizer, so the first request pays nothing. */
  warmUp(): Promise<void> {
    return this.started
  }

  async close(): Promise<void> {
    await this.started.catch(() => {})
    const error = new ApiError(503, 'the inference node is shutting down')
    for (const waiting of this.queue.splice(0)) waiting.reject(error)
    await Promise.all(this.slots.map((slot) => slot.close()))
  }

  private async startAll(
    data: TokenizeWorkerData,
    threads: number,
    supervision: Supervision,
  ): Promise<void> {
    const outcomes = await Promise.allSettled(
      Array.from({ length: threads }, (_, i) => {
        const name = `tokenizer#${i}`
        return RestartingThread.start<TokenizeThread>({
          name,
          kind: 'tokenizer',
          start: () => WorkerThread.start(WORKER_ENTRY, data, name),
          supervision,
          onChange: () => this.dispatch(),
        })
      }),
    )
    const slots = outcomes.flatMap((outcome) =>
      outcome.status === 'fulfilled' ? [outcome.value] : [],
    )
    const failed = outcomes.find((outcome) => outcome.status === 'rejected')
    if (failed) {
      await Promise.all(slots.map((slot) => slot.close()))
      throw failed.reason
    }
    this.slots = slots
    this.busy = slots.map(() => false)
  }

  private run(task: TokenizeTask): Promise<TokenizeResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject })
      this.dispatch()
    })
  }

  /** Hands waiting tasks to idle threads; refuses them all while no thread runs. */
  private dispatch(): void {
    if (this.queue.length === 0) return
    if (this.down) {
      const soonest = Math.min(...this.slots.map((slot) => slot.retryAfterSeconds))
      const error = retryable(
        'no tokenizer thread is running: the node is restarting them',
        soonest,
      )
      for (const waiting of this.queue.splice(0)) waiting.reject(error)
      return
    }
    this.slots.forEach((slot, i) => {
      const thread = slot.thread
      if (!thread || this.busy[i] || this.queue.length === 0) return
      const { task, resolve, reject } = this.queue.shift()!
      this.busy[i] = true
      thread
        .run(task)
        .then(resolve, (err: Error) =>
          reject(
            err instanceof ThreadDiedError
              ? // Another thread may well be running: the request can be retried at once.
                retryable(
                  `the ${slot.name} thread died while tokenizing this request and is being restarted`,
                  1,
                )
              : err,
          ),
        )
        .finally(() => {
          this.busy[i] = false
          this.dispatch()
        })
    })
  }
}
