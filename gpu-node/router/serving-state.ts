/**
 * Whether the node takes work: `/ready` reads `ready`; SIGTERM sets
 * `draining`, after which new embed requests get 503 and every response
 * closes its connection, so the server can close once those in flight are
 * answered.
 */
export class ServingState {
  /** Model loaded and warm. */
  ready = false
  /** Shutting down. */
  draining = false
  private inFlight = 0

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
