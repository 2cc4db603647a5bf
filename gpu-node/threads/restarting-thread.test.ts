/**
 * The restart policy on stand-in threads and fake timers: when a dead thread
 * is started again, how the delay grows, and when it stops.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { RestartingThread, type Mortal, type RestartPolicy } from './restarting-thread.ts'

class FakeThread implements Mortal {
  private readonly listeners: ((reason: string) => void)[] = []
  closed = false

  onDeath(listener: (reason: string) => void): void {
    this.listeners.push(listener)
  }

  die(reason = 'exited with code 1'): void {
    for (const listener of this.listeners.splice(0)) listener(reason)
  }

  async close(): Promise<void> {
    this.closed = true
  }
}

const policy: RestartPolicy = { firstDelayMs: 1000, maxDelayMs: 8000, stableMs: 60_000 }

/** A slot whose starts the test scripts: each call takes the next outcome, else a new thread. */
function slot(outcomes: (() => Promise<FakeThread>)[] = []) {
  const started: FakeThread[] = []
  const attemptsAt: number[] = []
  const restarts: string[] = []
  const lines: string[] = []
  const start = async () => {
    attemptsAt.push(Date.now())
    const thread = await (outcomes.shift() ?? (async () => new FakeThread()))()
    started.push(thread)
    return thread
  }
  const ready = RestartingThread.start({
    name: 'cpu session',
    kind: 'session',
    start,
    supervision: {
      log: (line) => lines.push(line),
      onRestart: (kind) => restarts.push(kind),
      policy,
    },
  })
  return { ready, started, attemptsAt, restarts, lines }
}

const failing = () => Promise.reject(new Error('the model file is gone'))

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('RestartingThread', () => {
  it('starts a new thread after the first delay once one dies, and counts the restart', async () => {
    const { ready, started, restarts, lines } = slot()
    const restarting = await ready
    started[0].die()
    expect(restarting.thread).toBeNull()
    expect(lines).toEqual([
      '[node] the cpu session thread died (exited with code 1); restarting it in 1000 ms',
    ])
    await vi.advanceTimersByTimeAsync(999)
    expect(started).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(restarting.thread).toBe(started[1])
    expect(restarts).toEqual(['session'])
    expect(lines.at(-1)).toBe('[node] the cpu session thread is running again')
  })

  it('doubles the delay with each failed start in a row, up to the most, so it never spins', async () => {
    const { ready, started, attemptsAt, restarts } = slot([
      async () => new FakeThread(),
      failing,
      failing,
      failing,
      failing,
      failing,
    ])
    const restarting = await ready
    const diedAt = Date.now()
    started[0].die()
    await vi.advanceTimersByTimeAsync(60_000)
    const gaps = attemptsAt.slice(1).map((at, i) => at - (i === 0 ? diedAt : attemptsAt[i]))
    expect(gaps.slice(0, 6)).toEqual([1000, 2000, 4000, 8000, 8000, 8000])
    expect(restarting.thread).toBe(started[1])
    expect(restarts.length).toBe(6)
  })

  it('says in Retry-After how long until the next attempt', async () => {
    const { ready, started } = slot([async () => new FakeThread(), failing, failing])
    const restarting = await ready
    started[0].die()
    expect(restarting.retryAfterSeconds).toBe(1)
    await vi.advanceTimersByTimeAsync(1000) // the first attempt fails; the next is 2 s away
    expect(restarting.retryAfterSeconds).toBe(2)
    await vi.advanceTimersByTimeAsync(1500)
    expect(restarting.retryAfterSeconds).toBe(1)
  })

  it('starts the doubling over after a thread that lived long enough', async () => {
    const { ready, started, attemptsAt } = slot()
    await ready
    started[0].die() // at once: the next death waits 2 s, unless this thread lives a minute
    await vi.advanceTimersByTimeAsync(1000)
    await vi.advanceTimersByTimeAsync(policy.stableMs)
    const diedAt = Date.now()
    started[1].die()
    await vi.advanceTimersByTimeAsync(1000)
    expect(attemptsAt.at(-1)! - diedAt).toBe(1000)
    expect(started).toHaveLength(3)
  })

  it('leaves the first failure to start to the caller, with no restart', async () => {
    const { ready, attemptsAt } = slot([failing])
    await expect(ready).rejects.toThrow('the model file is gone')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(attemptsAt).toHaveLength(1)
  })

  it('restarts nothing once closed, and closes a thread that arrives after', async () => {
    let finishStart!: (thread: FakeThread) => void
    const late = new FakeThread()
    const { ready, started, attemptsAt } = slot([
      async () => new FakeThread(),
      () => new Promise((resolve) => (finishStart = resolve)),
    ])
    const restarting = await ready
    started[0].die()
    await vi.advanceTimersByTimeAsync(1000) // the restart is under way
    await restarting.close()
    finishStart(late)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(late.closed).toBe(true)
    expect(restarting.thread).toBeNull()
    expect(attemptsAt).toHaveLength(2)
  })
})
