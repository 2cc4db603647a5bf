/**
 * A figure measured once per round, told as its median with the lowest and highest round
 * beside it: on a shared machine whose speed drifts, one number hides how much it moved.
 */
import { MISSING } from './table.ts'

export interface Spread {
  min: number
  median: number
  max: number
  /** How many rounds gave a finite value. */
  rounds: number
}

/** Over the finite values; null when there are none. The median of an even count is the mean of the middle two. */
export function spreadOf(values: readonly number[]): Spread | null {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return null
  const middle = sorted.length >> 1
  const median =
    sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  return { min: sorted[0], median, max: sorted.at(-1)!, rounds: sorted.length }
}

/** "1.23 (1.10–1.40)", or just the value when there was one round. */
export function describeSpread(spread: Spread | null, digits = 2): string {
  if (spread === null) return MISSING
  const show = (value: number) => value.toFixed(digits)
  return spread.rounds === 1
    ? show(spread.median)
    : `${show(spread.median)} (${show(spread.min)}–${show(spread.max)})`
}

/** Nearest-rank percentile of a sample, in its own unit; NaN for an empty sample. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}
