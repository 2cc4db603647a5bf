/**
 * Keeps one worker thread running, for the sessions and the tokenizers alike.
 * When the thread dies, a new one is started after a delay that doubles with
 * each death in a row (1 s, 2 s, 4 s … at most 30 s), so a thread that dies
 * as it starts (a model file gone bad, a device lost) does not spin; a thread
 * that lived a minute starts the doubling over. The first start is not
 * retried: a node that cannot load its model does not start.
 *
 * What a dead thread held, and what arrives while none runs, fails with
 * `retryable()`: a 503 with Retry-After, which the edge counts as an
 * overloaded node and tries elsewhere.
 */
import { ApiError } from '../../shared/errors.ts'

export type ThreadKind = 'session' | 'tokenizer'

export interface RestartPolicy {
  firstDelayMs: number
  maxDelayMs: number
  /** A thread that lived this long before dying is restarted after `firstDelayMs` again. */
  stableMs: number
}

export const RESTART_POLICY: RestartPolicy = {
  firstDelayMs: 1000,
  maxDelayMs: 30_000,
  stableMs: 60_000,
}

export interface Supervision {
  log: (line: string) => void
  /** Hears each restart as it begins (te_thread_restarts). */
  onRestart?: (kind: ThreadKind) => void
  policy?: RestartPolicy
}

/** What can be kept running: a thread that says when it dies. */
export interface Mortal {
  /** `error`: the uncaught error that ended the thread, if one did. */
  onDeath(listener: (reason: string, error?: Error) => void): void
  close(): Promise<void>
}

/** The 503 for work a thread could not do now; `message` says why, this adds when to retry. */
export function retryable(message: string, retryAfterSeconds: number): ApiError {
  return new ApiError(503, `${message}; retry in ${retryAfterSeconds} s`, {
    code: 'node_restarting',
    headers: { 'retry-after': String(retryAfterSeconds) },
  })
}

export interface RestartingThreadOptions<T extends Mortal> {
  /** Names the thread in logs, e.g. `cpu session` or `tokenizer#0`. */
  name: string
  kind: ThreadKind
  start: () => Promise<T>
  supervision: Supervision
  /** Called when the thread dies and when a new one runs. */
  onChange?: () => void
}

export class RestartingThread<T extends Mortal> {
  readonly name: string
  readonly kind: ThreadKind
  private current: T | null = null
  private bornAt = 0
  private deathsInARow = 0
  private restartAt = 0
  private timer: NodeJS.Timeout | undefined
  private closed = false

  private constructor(private readonly options: RestartingThreadOptions<T>) {
    this.name = options.name
    this.kind = options.kind
  }

  /** Starts the first thread; rejects, with no restart, if it cannot start. */
  static async start<T extends Mortal>(
    options: RestartingThreadOptions<T>,
  ): Promise<RestartingThread<T>> {
    const slot = new RestartingThread(options)
    slot.adopt(await options.start())
    return slot
  }

  /** The running thread; null while it is being restarted. */
  get thread(): T | null {
    return this.current
  }

  /** Seconds until the next restart attempt (at least 1): what Retry-After says meanwhile. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.restartAt - Date.now()) / 1000))
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.timer)
    await this.current?.close()
  }

  private adopt(thread: T): void {
    this.current = thread
    this.bornAt = Date.now()
    thread.onDeath((reason, error) => this.died(thread, reason, error))
  }

  private died(thread: T, reason: string, error?: Error): void {
    if (this.closed || thread !== this.current) return
    this.current = null
    if (Date.now() - this.bornAt >= this.policy.stableMs) this.deathsInARow = 0
    // An uncaught error's stack says where to look; the one line below says what happens next.
    if (error?.stack) this.options.supervision.log(`[node] the ${this.name} thread: ${error.stack}`)
    this.scheduleRestart(`died (${reason})`)
    this.options.onChange?.()
  }

  private scheduleRestart(what: string): void {
    const { firstDelayMs, maxDelayMs } = this.policy
    const delay = Math.min(maxDelayMs, firstDelayMs * 2 ** this.deathsInARow)
    this.deathsInARow++
    this.restartAt = Date.now() + delay
    this.options.supervision.log(
      `[node] the ${this.name} thread ${what}; restarting it in ${delay} ms`,
    )
    this.timer = setTimeout(() => void this.restart(), delay)
    // Shutdown clears it; it alone must not keep a process alive.
    this.timer.unref()
  }

  private async restart(): Promise<void> {
    this.timer = undefined
    if (this.closed) return
    this.options.supervision.onRestart?.(this.kind)
    let thread: T
    try {
      thread = await this.options.start()
    } catch (err) {
      if (!this.closed) this.scheduleRestart(`failed to start again (${(err as Error).message})`)
      return
    }
    if (this.closed) return void thread.close()
    this.adopt(thread)
    if (this.current !== thread) return // it died at once, and died() took over
    this.options.supervision.log(`[node] the ${this.name} thread is running again`)
    this.options.onChange?.()
  }

  private get policy(): RestartPolicy {
    return this.options.supervision.policy ?? RESTART_POLICY
  }
}
