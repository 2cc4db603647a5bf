/**
 * Whether the node takes work, as `/ready` says it: loaded and warm
 * (`ready`), not shutting down (SIGTERM sets `draining`, after which new
 * embed requests get 503 and every response closes its connection, so the
 * server can close once those in flight are answered), and with its threads
 * running: while every session, or every tokenizer thread, is dead and being
 * restarted, the node is not ready either.
 */
export type ServingStatus = 'ready' | 'loading' | 'shutting down' | 'restarting threads'

export class ServingState {
  /** Model loaded and warm. */
  ready = false
  /** Shutting down. */
  draining = false
  private inFlight = 0

  /** @param threadsRunning false while no session or no tokenizer thread runs */
  constructor(private readonly threadsRunning: () => boolean = () => true) {}

  get status(): ServingStatus {
    if (this.draining) return 'shutting down'
    if (!this.ready) return 'loading'
    return this.threadsRunning() ? 'ready' : 'restarting threads'
  }

  get requestsInFlight(): number {
    return this.inFlight
  }

  begin(): void {
    this.inFlight++
  }

  end(): void {
    this.inFlight--
  }
}
