/**
 * The main thread's side of a worker thread that takes tasks and answers each
 * by id (thread-body.ts is the thread's side). A thread can die: process.exit,
 * an uncaught error, running out of memory, or terminate(). Then its death
 * listeners hear why, every task it held fails with ThreadDiedError, and the
 * object stays dead: restarting-thread.ts starts a new one.
 */
import { Worker, type Transferable } from 'node:worker_threads'

export type ThreadReply<Result> =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'done'; id: number; result: Result }
  | { type: 'error'; id: number; message: string }

export interface ThreadTask<Task> {
  id: number
  task: Task
}

/** The thread died before answering: the task itself may well succeed on another thread. */
export class ThreadDiedError extends Error {
  constructor(
    readonly thread: string,
    readonly reason: string,
    /**
     * True for the task the thread was running when it died (the oldest it held: a thread
     * answers its tasks in the order they were sent); false for one only queued behind it,
     * which did nothing to the thread.
     */
    readonly running = true,
  ) {
    super(`the ${thread} thread died (${reason})`)
    this.name = 'ThreadDiedError'
  }
}

/** Hears why a thread died; `error` is the uncaught error that ended it, with its stack. */
export type DeathListener = (reason: string, error?: Error) => void

interface Pending<Result> {
  resolve: (result: Result) => void
  reject: (error: Error) => void
}

export class WorkerThread<Task, Result> {
  private readonly pending = new Map<number, Pending<Result>>()
  private readonly deathListeners: DeathListener[] = []
  private readonly loaded: Promise<void>
  private settleLoad!: (error?: Error) => void
  private nextId = 0
  private lastError: Error | null = null
  private closing = false
  private deathReason: string | null = null

  private constructor(
    private readonly worker: Worker,
    /** Names the thread in logs and errors, e.g. `cpu session` or `tokenizer#0`. */
    readonly name: string,
  ) {
    this.loaded = new Promise<void>((resolve, reject) => {
      this.settleLoad = (error) => (error ? reject(error) : resolve())
    })
    worker.on('message', (reply: ThreadReply<Result>) => this.receive(reply))
    // An uncaught error or running out of memory: 'exit' follows, and is where the thread dies.
    worker.on('error', (err) => (this.lastError = err))
    worker.on('exit', (code) =>
      this.die(
        this.closing ? 'terminated' : (this.lastError?.message ?? `exited with code ${code}`),
      ),
    )
  }

  /** Starts the thread; resolves once it has loaded what it serves, else rejects with why not. */
  static async start<Task, Result>(
    entry: URL,
    workerData: unknown,
    name: string,
  ): Promise<WorkerThread<Task, Result>> {
    const thread = new WorkerThread<Task, Result>(new Worker(entry, { workerData }), name)
    await thread.loaded
    return thread
  }

  get alive(): boolean {
    return this.deathReason === null
  }

  /** Tasks sent and not yet answered. */
  get load(): number {
    return this.pending.size
  }

  /** Hears the thread's death once, with why; at once if it has already died. */
  onDeath(listener: DeathListener): void {
    if (this.deathReason !== null) listener(this.deathReason, this.lastError ?? undefined)
    else this.deathListeners.push(listener)
  }

  /** The task's result; rejects with the thread's error message, or ThreadDiedError. */
  run(task: Task, transfer: Transferable[] = []): Promise<Result> {
    if (this.deathReason !== null)
      return Promise.reject(new ThreadDiedError(this.name, this.deathReason))
    const id = this.nextId++
    return new Promise<Result>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      try {
        this.worker.postMessage({ id, task } satisfies ThreadTask<Task>, transfer)
      } catch (err) {
        this.pending.delete(id)
        reject(err as Error)
      }
    })
  }

  async close(): Promise<void> {
    if (this.deathReason !== null) return
    this.closing = true
    await this.worker.terminate()
  }

  private receive(reply: ThreadReply<Result>): void {
    if (reply.type === 'ready') return this.settleLoad()
    if (reply.type === 'failed') {
      this.settleLoad(new Error(reply.message))
      void this.close()
      return
    }
    const pending = this.pending.get(reply.id)
    this.pending.delete(reply.id)
    if (!pending) return
    if (reply.type === 'error') pending.reject(new Error(reply.message))
    else pending.resolve(reply.result)
  }

  private die(reason: string): void {
    if (this.deathReason !== null) return
    this.deathReason = reason
    this.settleLoad(new Error(`the ${this.name} thread died while loading (${reason})`))
    // Listeners first: a task's failure may then tell when the thread will be back.
    for (const listener of this.deathListeners.splice(0))
      listener(reason, this.lastError ?? undefined)
    // Pending tasks are held in the order they were sent: the first is the one that ran.
    let running = true
    for (const pending of this.pending.values()) {
      pending.reject(new ThreadDiedError(this.name, reason, running))
      running = false
    }
    this.pending.clear()
  }
}
