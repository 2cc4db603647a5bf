/**
 * A circuit breaker for one node: after `failuresToOpen` consecutive failures
 * it opens and the node gets no traffic; once `cooldownMs` has passed, one
 * caller may probe it (half-open); the probe's outcome closes it again or
 * reopens it for another cool-down. Time is passed in, so callers and tests
 * decide what "now" is.
 */
export type BreakerState = 'closed' | 'open' | 'half-open'

export class CircuitBreaker {
  private failures = 0
  /** 0 while closed; otherwise the time the cool-down ends. */
  private openUntil = 0
  /** When the node last said it was not ready; 0 once a success has closed the breaker since. */
  private saidNotReadyAt = 0
  private probing = false

  constructor(
    private readonly failuresToOpen: number,
    private readonly cooldownMs: number,
  ) {}

  state(now: number): BreakerState {
    if (this.openUntil === 0) return 'closed'
    return now < this.openUntil ? 'open' : 'half-open'
  }

  /** True for exactly one caller per cool-down: that caller probes and reports the outcome. */
  startProbe(now: number): boolean {
    if (this.state(now) !== 'half-open' || this.probing) return false
    this.probing = true
    return true
  }

  /**
   * A call (or probe) succeeded. `sentAt`: when the call was sent. A call already on its way when
   * the node said it was not ready (loading, draining) says nothing of it since, and leaves the
   * breaker open; after a failure or a health check that got no answer, any success closes it.
   */
  recordSuccess(sentAt = Infinity): void {
    if (sentAt < this.saidNotReadyAt) return
    this.saidNotReadyAt = 0
    this.failures = 0
    this.openUntil = 0
    this.probing = false
  }

  recordFailure(now: number): void {
    this.failures += 1
    if (this.probing || this.openUntil !== 0 || this.failures >= this.failuresToOpen) this.open(now)
  }

  /**
   * Opens at once: a health check found the node not ready (`saidNotReady`: in its own answer,
   * not by a silence that may be a busy moment).
   */
  open(now: number, { saidNotReady = false } = {}): void {
    if (saidNotReady) this.saidNotReadyAt = now
    this.openUntil = now + this.cooldownMs
    this.probing = false
  }
}
