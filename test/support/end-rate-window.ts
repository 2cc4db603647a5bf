/**
 * Closes a tenant's rate window in a test as the window's time passing would: the clock moves
 * past the window's end while the object's alarm runs. Running the alarm alone does not close
 * it: an alarm that runs before the end leaves the window as it is
 * (edge/limits/tenant-limiter.ts). The object runs in the tests' isolate, so it reads the moved
 * clock. The workerd tests' window is an hour (RATE_WINDOW_MS in vitest.config.ts): no window
 * closes by itself while a test fills it, only when a test closes it here.
 */
import { runDurableObjectAlarm } from 'cloudflare:test'
import { vi } from 'vitest'
import { edgeConfig } from '../../edge/config.ts'
import { isolateMemory } from '../../edge/isolate/isolate-memory.ts'
import { limiterFor } from '../../edge/limits/tenant-limiter.ts'
import { env } from './edge-harness.ts'

/** The length of the tenants' rate windows in these tests, as their objects read it. */
export const windowMs = edgeConfig(env).RATE_WINDOW_MS

/** True if an alarm ran (the tenant had an open window). */
export async function endRateWindow(tenantId: string): Promise<boolean> {
  // A lease ends with its window at the latest.
  isolateMemory.admissionLeases.forget(tenantId)
  const clock = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + windowMs)
  try {
    return await runDurableObjectAlarm(limiterFor(env, tenantId))
  } finally {
    clock.mockRestore()
  }
}
