/**
 * Tokenization off the main thread (TEI's tokenization workers): worker
 * threads, each with its own copy of the model's tokenizer, so a long or
 * many-input request never blocks the event loop that feeds the sessions.
 * One task per request keeps its inputs together; tasks wait in one queue for
 * a thread that can take them, so a long text holds up its own thread only.
 *
 * A thread takes more than one short task at a time (up to PIPELINE_TASKS, and
 * PIPELINE_CHARS of text in all): its next task is already in its message
 * queue when it finishes one, instead of waiting for the main thread to hear
 * the answer and send the next. On a busy event loop that wait was most of
 * the tokenization stage (docs/performance.md, "The host path alone"). A task
 * longer than PIPELINE_CHARS goes only to an idle thread, and no task is sent
 * to a thread holding one, so short requests never queue behind a long text.
 *
 * A thread that dies fails the task it was running with a retryable 503 and is
 * started again after a backoff (threads/restarting-thread.ts); the tasks
 * queued behind it go back to the head of the pool's queue, once, since they
 * did nothing wrong. While none runs, tasks are refused at once with that 503 rather than queued. (piscina,
 * used before, replaced a dead thread at once, with no backoff, and a
 * replacement that failed to load crashed the node: its 'error' event had no
 * listener.)
 *
 * The README's request walk: step 13.
 */
import { ApiError, apiErrorFromBody } from '../../shared/errors.ts'
import type { ModelInput } from '../../shared/node-protocol.ts'
import { RestartingThread, retryable, type Supervision } from '../threads/restarting-thread.ts'
import { ThreadDiedError, WorkerThread } from '../threads/worker-thread.ts'
import type { TokenizeResult, TokenizeTask, TokenizeWorkerData } from './tokenize-worker.ts'

const WORKER_ENTRY = new URL('./tokenize-worker.mjs', import.meta.url)

type TokenizeThread = WorkerThread<TokenizeTask, TokenizeResult>

/** Tasks one thread may hold at once (the one it runs and those queued behind it). */
export const PIPELINE_TASKS = 8
/** Characters of text one thread may hold at once (about 2,000 tokens); a longer task goes only to an idle thread. */
export const PIPELINE_CHARS = 8 * 1024

/** A task's size for the pipeline: its characters (a token-id input counts 4 per id). */
function charsOf(task: TokenizeTask): number {
  let chars = 0
  for (const input of task.inputs)
    chars += 'text' in input ? input.text.length : 4 * input.ids.length
  return chars
}

interface Waiting {
  task: TokenizeTask
  chars: number
  /** Put back once already, after a thread died with it queued behind the task it ran. */
  putBack?: boolean
  resolve: (result: TokenizeResult) => void
  reject: (error: Error) => void
}

export class TokenizerPool {
  private slots: RestartingThread<TokenizeThread>[] = []
  /** Per thread: tasks sent and not answered, and their characters. */
  private held: { tasks: number; chars: number }[] = []
  private readonly queue: Waiting[] = []
  /** Dead threads, with how many of their queued tasks went back to the head of the queue (to keep their order). */
  private readonly putBackFrom = new WeakMap<TokenizeThread, number>()
  private closed = false
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
    if (!result.ok) throw apiErrorFromBody(result.status, result.body)
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
    this.closed = true
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
    this.held = slots.map(() => ({ tasks: 0, chars: 0 }))
  }

  private run(task: TokenizeTask): Promise<TokenizeResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ task, chars: charsOf(task), resolve, reject })
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
    while (this.queue.length > 0) {
      const i = this.threadFor(this.queue[0].chars)
      if (i < 0) return
      const waiting = this.queue.shift()!
      const thread = this.slots[i].thread!
      const held = this.held[i]
      held.tasks++
      held.chars += waiting.chars
      const settle = () => {
        held.tasks--
        held.chars -= waiting.chars
      }
      thread.run(waiting.task).then(
        (result) => {
          settle()
          waiting.resolve(result)
          this.dispatch()
        },
        (err: Error) => {
          settle()
          if (err instanceof ThreadDiedError) this.afterDeath(thread, waiting, err.running)
          else waiting.reject(err)
          this.dispatch()
        },
      )
    }
  }

  /**
   * A thread died holding `waiting`. The task it was running fails (another thread may well
   * run it, so the client may retry at once). Those only queued behind it go back to the head
   * of the queue, in their order, unless they were put back once already.
   */
  private afterDeath(thread: TokenizeThread, waiting: Waiting, running: boolean): void {
    if (running || waiting.putBack || this.closed) {
      waiting.reject(
        retryable(
          `the ${thread.name} thread died while tokenizing this request and is being restarted`,
          1,
        ),
      )
      return
    }
    waiting.putBack = true
    const putBack = this.putBackFrom.get(thread) ?? 0
    this.queue.splice(putBack, 0, waiting)
    this.putBackFrom.set(thread, putBack + 1)
  }

  /**
   * The running thread holding the fewest characters that can take a task of `chars`: an idle
   * one always can; a busy one only a short task, within PIPELINE_TASKS and PIPELINE_CHARS and
   * behind short tasks only. -1 if none can.
   */
  private threadFor(chars: number): number {
    let best = -1
    for (let i = 0; i < this.slots.length; i++) {
      if (!this.slots[i].thread) continue
      const held = this.held[i]
      const fits =
        held.tasks === 0 || (held.tasks < PIPELINE_TASKS && held.chars + chars <= PIPELINE_CHARS)
      if (fits && (best < 0 || held.chars < this.held[best].chars)) best = i
    }
    return best
  }
}
