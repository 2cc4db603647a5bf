/**
 * The rate window closing on its own, in the tenant's real Durable Object: windows of a second
 * here (RATE_WINDOW_MS of the workerd-short-window project), where no clock is moved and no alarm
 * is run by hand. Each wait is for a condition, with a cap far past the window, so a loaded
 * machine makes these tests slower, never wrong.
 */
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import { env } from '../../test/support/edge-harness.ts'
import { edgeConfig } from '../config.ts'
import { formatDuration, retryAfterSeconds } from './rate-limit-headers.ts'
import { limiterFor, type Admission } from './tenant-limiter.ts'

const windowMs = edgeConfig(env).RATE_WINDOW_MS
/** Thirty windows: only a window that never closes keeps a wait going this long. */
const CAP = { timeout: 30 * windowMs, interval: 20 }
const limits = { requests_per_minute: 2, tokens_per_minute: null }
const key = { id: 'key_rollover', hash: 'hash-of-a-rollover-key' }

function refusal(admission: Admission) {
  if (admission.admitted || admission.reason === 'revoked') throw new Error('not a 429')
  return admission
}

describe('a rate window of its own length', () => {
  it('refuses once full, says when it closes, and admits again with a fresh count once it has', async () => {
    expect(windowMs).toBe(1_000) // this project's window, not a minute
    const limiter = limiterFor(env, 'rollover-requests')
    // Admitted until refused: on a machine slow enough, a window can close between two calls,
    // and the next call opens a fresh one.
    let last: Admission | undefined
    await vi.waitFor(async () => {
      last = await limiter.admit(key, limits)
      expect(last.admitted).toBe(false)
    }, CAP)
    const refused = refusal(last!)
    expect(refused.reason).toBe('requests')
    expect(refused.status.requests).toEqual({ limit: 2, remaining: 0 })
    // What the 429's headers say counts down this window, not a minute.
    expect(refused.status.resetMs).toBeLessThanOrEqual(windowMs)
    expect(formatDuration(refused.status.resetMs)).toMatch(/^(\d{1,3}ms|1s)$/)
    expect(retryAfterSeconds(refused.status)).toBe(1)

    let next: Admission | undefined
    await vi.waitFor(async () => {
      next = await limiter.admit(key, limits)
      expect(next.admitted).toBe(true)
    }, CAP)
    // The first request of a fresh window: the full one's two are not counted in it.
    expect(next).toMatchObject({ admitted: true, status: { requests: { limit: 2, remaining: 1 } } })
  })

  it("is cleared by the object's own alarm at its end, with no request to notice", async () => {
    const limiter = limiterFor(env, 'rollover-alarm')
    expect(await limiter.admit(key, limits)).toMatchObject({ admitted: true })
    const stored = () =>
      runInDurableObject(limiter, async (_, state) => ({
        alarm: await state.storage.getAlarm(),
        window: (await state.storage.get('window')) ?? null,
      }))
    expect((await stored()).alarm).not.toBeNull()
    // Ran, and cleared the window rather than setting its alarm again.
    await vi.waitFor(async () => expect(await stored()).toEqual({ alarm: null, window: null }), CAP)
  })
})
