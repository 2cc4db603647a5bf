/**
 * Worker bindings for a test's own origin pool: its nodes, and breaker and
 * health-check timings short enough that recovery happens within a test
 * (a test of the retry path alone turns the periodic /ready checks off with a
 * long interval). A test that sends the same inputs to the nodes again seeds its tenant with
 * `edge_cache: false`.
 */
import type { Env } from '../../edge/env.ts'

export function poolOverrides(
  urls: string[],
  options: { healthIntervalMs?: number } = {},
): Partial<Env> {
  return {
    NODE_URLS: urls.join(','),
    NODE_BREAKER_COOLDOWN_MS: '200',
    NODE_HEALTH_INTERVAL_MS: String(options.healthIntervalMs ?? 200),
  }
}

/** Polls `attempt` until it returns true, at most `tries` times, `intervalMs` apart. */
export async function eventually(
  attempt: () => Promise<boolean>,
  { tries = 60, intervalMs = 250 } = {},
): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await attempt()) return true
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  return false
}
