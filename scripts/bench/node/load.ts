/**
 * A bounded closed-loop load: `clients` loops, each sending its next request as soon as the
 * previous one answered, until `maxRequests` have been issued or `maxSeconds` have passed; no
 * request starts after that. Requests still in flight at `deadlineSeconds` are aborted and count
 * as errors, so a cell never outlasts its deadline whatever the server does.
 */
import { setMaxListeners } from 'node:events'

export interface LoadBounds {
  clients: number
  maxRequests: number
  maxSeconds: number
  deadlineSeconds: number
}

export interface LoadResult {
  clients: number
  /** Indices (0-based, in issue order) of the requests that succeeded. */
  completed: number[]
  errors: number
  /** The first error's message, to show why a cell failed. */
  firstError: string | null
  latenciesMs: number[]
  /** From the first request to the last answer (or the deadline). */
  seconds: number
}

export async function runLoad(
  bounds: LoadBounds,
  request: (index: number, signal: AbortSignal) => Promise<void>,
): Promise<LoadResult> {
  const started = performance.now()
  const stopIssuing = started + bounds.maxSeconds * 1000
  const deadline = new AbortController()
  // Every call in flight listens on this one signal; more than Node's default of 10 is expected.
  setMaxListeners(Infinity, deadline.signal)
  const deadlineTimer = setTimeout(
    () =>
      deadline.abort(new Error(`still running at the cell's ${bounds.deadlineSeconds} s deadline`)),
    bounds.deadlineSeconds * 1000,
  )
  let issued = 0
  const result: LoadResult = {
    clients: bounds.clients,
    completed: [],
    errors: 0,
    firstError: null,
    latenciesMs: [],
    seconds: 0,
  }
  const client = async () => {
    while (
      issued < bounds.maxRequests &&
      performance.now() < stopIssuing &&
      !deadline.signal.aborted
    ) {
      const index = issued++
      const sent = performance.now()
      try {
        await request(index, deadline.signal)
        result.latenciesMs.push(performance.now() - sent)
        result.completed.push(index)
      } catch (err) {
        result.errors++
        result.firstError ??= deadline.signal.aborted
          ? (deadline.signal.reason as Error).message
          : (err as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: bounds.clients }, client))
  clearTimeout(deadlineTimer)
  result.seconds = (performance.now() - started) / 1000
  return result
}
