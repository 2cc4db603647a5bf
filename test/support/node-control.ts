/**
 * For tests inside workerd: start, kill and inspect the named real inference
 * nodes of the node fleet (test/support/node-fleet.ts) through its loopback
 * control server. Each test file names its own nodes, so files that run at
 * the same time never kill each other's.
 */
import { inject } from 'vitest'
import { fetchSigned } from '../../edge/origin/signed-calls.ts'
import type { GateStats } from './node-fleet-contract.ts'

async function control<T>(path: string, method = 'POST'): Promise<T> {
  const response = await fetch(`${inject('nodeControlUrl')}${path}`, { method })
  const text = await response.text()
  if (!response.ok) throw new Error(`node control ${method} ${path}: ${response.status} ${text}`)
  return JSON.parse(text) as T
}

/**
 * Starts (or finds running) the node `name`; resolves with its stable URL once it is ready.
 * `env` is extra node environment, kept for restarts (e.g. `{ MAX_CONCURRENT_REQUESTS: '1' }`).
 */
export async function startNode(
  name: string,
  model: 'default' | 'tiny-qwen3' | 'tiny-qwen3-drifted' = 'default',
  env: Record<string, string> = {},
): Promise<string> {
  const query = new URLSearchParams({ model, env: JSON.stringify(env) })
  return (await control<{ url: string }>(`/nodes/${name}/start?${query}`)).url
}

/** A counter from the node's own Prometheus `/metrics` (summed over its labels). */
export async function nodeMetric(url: string, metric: string): Promise<number> {
  const text = await (await fetchSigned(url, '/metrics', inject('nodeSecret'))).text()
  let sum = 0
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${metric}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`).exec(line)
    if (match) sum += Number(match[1])
  }
  return sum
}

/** SIGKILLs the node `name`; its URL refuses connections until it is started again. */
export async function killNode(name: string): Promise<void> {
  await control(`/nodes/${name}/kill`)
}

/** The embed calls the node `name` received, and their inputs (`text:…` or `ids:…`). */
export function nodeStats(name: string): Promise<GateStats> {
  return control<GateStats>(`/nodes/${name}/stats`, 'GET')
}

/** While on, one bit of every vector frame the node `name` answers is flipped on the way. */
export async function tamperWithNode(name: string, on: boolean): Promise<void> {
  await control(`/nodes/${name}/tamper?on=${on}`)
}

/** While on, the node `name` answers /ready with 503 (not ready); its embed calls go through. */
export async function setNodeUnready(name: string, on: boolean): Promise<void> {
  await control(`/nodes/${name}/unready?on=${on}`)
}

/** Embed calls to the node `name` wait `ms` first ('forever': never answered; 0: off). */
export async function holdNodeEmbeds(name: string, ms: number | 'forever'): Promise<void> {
  await control(`/nodes/${name}/hold?ms=${ms}`)
}

/**
 * Every request to the node `name` (embed calls, /ready, /info) waits `ms` before it goes on,
 * as a node that far away would answer later (0: a node next door).
 */
export async function setNodeDistance(name: string, ms: number): Promise<void> {
  await control(`/nodes/${name}/distance?ms=${ms}`)
}

/**
 * While set, embed calls to the node `name` are answered 429 with `Retry-After: retryAfterSeconds`,
 * as a node at capacity answers (null: off).
 */
export async function fillNode(name: string, retryAfterSeconds: number | null): Promise<void> {
  const query = retryAfterSeconds === null ? '' : `?retry_after=${retryAfterSeconds}`
  await control(`/nodes/${name}/full${query}`)
}

/**
 * While set, embed calls to the node `name` are answered 422 `invalid_vector` for the call's
 * input at `index`, as a node whose model broke that vector answers (null: off).
 */
export async function breakNodeVectors(name: string, index: number | null): Promise<void> {
  await control(`/nodes/${name}/broken-vector${index === null ? '' : `?index=${index}`}`)
}

/**
 * Kills the node `name` and starts it again with `env` as its extra environment (replacing
 * what it was started with): e.g. another NODE_SECRET on the same URL, after the edge has
 * read its /info.
 */
export async function restartNodeWithEnv(
  name: string,
  env: Record<string, string>,
): Promise<string> {
  await killNode(name)
  await control(`/nodes/${name}/env?${new URLSearchParams({ env: JSON.stringify(env) })}`)
  return startNode(name)
}

export async function resetNodeStats(...names: string[]): Promise<void> {
  await Promise.all(names.map((name) => control(`/nodes/${name}/stats/reset`)))
}
