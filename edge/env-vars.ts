/**
 * Numbers from the worker's variables (wrangler.toml `[vars]`, which are strings): the value
 * when it is a finite number in range, else the fallback, so a typo runs with the default
 * rather than with NaN.
 */

function parsed(raw: string | undefined): number | null {
  const value = Number(raw)
  return raw !== undefined && raw !== '' && Number.isFinite(value) ? value : null
}

/** A variable that must be above 0 (a timeout, a count). */
export function positiveVar(raw: string | undefined, fallback: number): number {
  const value = parsed(raw)
  return value !== null && value > 0 ? value : fallback
}

/** A variable where 0 is meaningful (a delay of none). */
export function nonNegativeVar(raw: string | undefined, fallback: number): number {
  const value = parsed(raw)
  return value !== null && value >= 0 ? value : fallback
}
