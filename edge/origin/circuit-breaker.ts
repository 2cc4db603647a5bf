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
  /** When it last opened. */
  private openedAt = 0
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
   * A call (or probe) succeeded. `sentAt`: when the call was sent; a call already on its way when
   * the breaker opened (a health check found the node not ready meanwhile) says nothing of the
   * node since, and leaves it open.
   */
  recordSuccess(sentAt = Infinity): void {
    if (this.openUntil !== 0 && sentAt < this.openedAt) return
    this.failures = 0
    this.openUntil = 0
    this.probing = false
  }

  recordFailure(now: number): void {
    this.failures += 1
    if (this.probing || this.openUntil !== 0 || this.failures >= this.failuresToOpen) this.open(now)
  }

  /** Opens at once, e.g. when the node itself says it is not ready. */
  open(now: number): void {
    this.openedAt = now
    this.openUntil = now + this.cooldownMs
    this.probing = false
  }
}
