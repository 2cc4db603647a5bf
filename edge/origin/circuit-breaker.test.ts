import { describe, expect, it } from 'vitest'
import { CircuitBreaker } from './circuit-breaker.ts'

describe('CircuitBreaker', () => {
  it('stays closed below the failure threshold and forgets failures after a success', () => {
    const breaker = new CircuitBreaker(3, 1000)
    breaker.recordFailure(0)
    breaker.recordFailure(0)
    expect(breaker.state(0)).toBe('closed')
    breaker.recordSuccess()
    breaker.recordFailure(0)
    breaker.recordFailure(0)
    expect(breaker.state(0)).toBe('closed')
  })

  it('opens after N consecutive failures and lets one probe through after the cool-down', () => {
    const breaker = new CircuitBreaker(3, 1000)
    for (let i = 0; i < 3; i++) breaker.recordFailure(100)
    expect(breaker.state(100)).toBe('open')
    expect(breaker.startProbe(1099)).toBe(false)
    expect(breaker.state(1100)).toBe('half-open')
    expect(breaker.startProbe(1100)).toBe(true)
    expect(breaker.startProbe(1100)).toBe(false) // one probe at a time
  })

  it('closes when the probe succeeds and reopens for another cool-down when it fails', () => {
    const healed = new CircuitBreaker(1, 1000)
    healed.recordFailure(0)
    healed.startProbe(1000)
    healed.recordSuccess()
    expect(healed.state(1000)).toBe('closed')

    const still = new CircuitBreaker(1, 1000)
    still.recordFailure(0)
    still.startProbe(1000)
    still.recordFailure(1000)
    expect(still.state(1999)).toBe('open')
    expect(still.state(2000)).toBe('half-open')
  })

  it('opens at once when told to (a node that says it is not ready)', () => {
    const breaker = new CircuitBreaker(5, 1000)
    breaker.open(0)
    expect(breaker.state(500)).toBe('open')
  })

  it('stays open when the node said it was not ready and a call sent before that succeeds', () => {
    const breaker = new CircuitBreaker(5, 1000)
    breaker.open(100, { saidNotReady: true }) // draining, said while a call was on its way
    breaker.recordSuccess(50) // that call, sent at 50, comes back fine
    expect(breaker.state(500)).toBe('open')
    breaker.recordSuccess(150) // a call sent after it said so (a probe's is too)
    expect(breaker.state(500)).toBe('closed')
  })

  it('closes on any success when it opened on a silence, which may have been a busy moment', () => {
    const breaker = new CircuitBreaker(5, 1000)
    breaker.open(100) // a health check got no answer in time
    breaker.recordSuccess(50) // a call on its way then comes back fine: the node is alive
    expect(breaker.state(500)).toBe('closed')
  })
})
