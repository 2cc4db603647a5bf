/**
 * Gathers inputs from concurrent requests into batches: a batch starts when it
 * is full or when its first input has waited `maxWaitMs`, and batches run one
 * at a time so the session is never oversubscribed. Inputs that arrive while a
 * batch runs form the next one.
 */

interface Pending<T, R> {
  item: T
  resolve: (result: R) => void
  reject: (error: unknown) => void
}

export interface MicroBatcherOptions {
  maxBatchSize: number
  maxWaitMs: number
}

export class MicroBatcher<T, R> {
  private readonly queue: Pending<T, R>[] = []
  private running = false
  private timer: ReturnType<typeof setTimeout> | null = null

  constructor(
    private readonly runBatch: (items: T[]) => Promise<R[]>,
    private readonly options: MicroBatcherOptions,
  ) {}

  /** Inputs waiting for a batch. */
  get queued(): number {
    return this.queue.length
  }

  /** Resolves with one result per item, in order. */
  submit(items: T[]): Promise<R[]> {
    const results = items.map(
      (item) => new Promise<R>((resolve, reject) => this.queue.push({ item, resolve, reject })),
    )
    this.schedule()
    return Promise.all(results)
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return
    if (this.queue.length >= this.options.maxBatchSize || this.options.maxWaitMs === 0) {
      if (this.timer) clearTimeout(this.timer)
      this.timer = null
      void this.runNext()
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null
        void this.runNext()
      }, this.options.maxWaitMs)
    }
  }

  private async runNext(): Promise<void> {
    if (this.running || this.queue.length === 0) return
    this.running = true
    const batch = this.queue.splice(0, this.options.maxBatchSize)
    try {
      const results = await this.runBatch(batch.map((pending) => pending.item))
      batch.forEach((pending, i) => pending.resolve(results[i]))
    } catch (err) {
      batch.forEach((pending) => pending.reject(err))
    } finally {
      this.running = false
      // Whatever queued up during the run goes next, without waiting again.
      if (this.queue.length > 0) void this.runNext()
    }
  }
}
