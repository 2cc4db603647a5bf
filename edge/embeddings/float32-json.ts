/**
 * Float32 vectors as JSON arrays, each number written in few enough significant digits to
 * read back as the same float32 (at most 9, and nearly always the fewest that do, as
 * text-embeddings-inference's serde output writes them).
 *
 * JSON.stringify widens each float32 to a float64 and writes all of that: up to 17 digits of
 * which the last eight or so are noise from the widening. The short form is fewer bytes on
 * the wire for the same float32 values (the test requires under 0.7 times for a unit vector),
 * but it is written by JavaScript, digit by digit, not by JSON.stringify's native code: once per
 * vector, which embedding-json.ts keeps.
 */

/**
 * Decimal text that reads back as `value` in float32: the fewest digits found by shortening
 * from 8 while it still reads back, else 9 (always enough). Near powers of two, where the
 * float32 spacing changes, a shorter text can exist that this search does not reach.
 */
export function float32Text(value: number): string {
  if (!Number.isFinite(value)) return 'null' // what JSON.stringify writes; a model never gives it
  // Most unit-vector components need 8 digits, so start there and shorten while it holds.
  let digits = 8
  let text = value.toPrecision(digits)
  if (Math.fround(Number(text)) !== value) return value.toPrecision(9) // 9 always reads back
  while (digits > 1) {
    const shorter = value.toPrecision(digits - 1)
    if (Math.fround(Number(shorter)) !== value) break
    text = shorter
    digits--
  }
  return text
}

/** `values` as a JSON array of numbers that parse back to exactly these float32 values. */
export function float32ArrayJson(values: Float32Array): string {
  return `[${Array.from(values, float32Text).join(',')}]`
}
