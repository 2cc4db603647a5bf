/**
 * The corpus of bad requests the chaos run sends (bad-requests.json): each is
 * the client's mistake, and must get a 4xx, never a 5xx, a reset or a crash.
 * Entries hold small placeholders (`_5000`, `_long`, `_2049`, …) for values too
 * large to keep in the file; they are expanded here.
 */
import { readFileSync } from 'node:fs'

interface Entry {
  name: string
  body?: Record<string, unknown>
  raw?: string
  contentType?: string
}

export interface BadRequest {
  name: string
  body: string
  contentType: string
}

const EXPANSIONS: Record<string, () => unknown> = {
  _5000: () => 'i'.repeat(5000),
  _300: () => 'u'.repeat(300),
  _long: () => 'many words in a row '.repeat(400),
  _2049: () => Array.from({ length: 2049 }, (_, i) => `input ${i}`),
  _ids_over_limit: () => Array.from({ length: 2048 }, () => Array.from({ length: 200 }, () => 100)),
}

function expand(value: unknown): unknown {
  if (typeof value === 'string' && Object.hasOwn(EXPANSIONS, value)) return EXPANSIONS[value]()
  return value
}

export function loadBadRequests(): BadRequest[] {
  const entries = JSON.parse(
    readFileSync(new URL('./bad-requests.json', import.meta.url), 'utf8'),
  ) as Entry[]
  return entries.map(({ name, body, raw, contentType }) => ({
    name,
    contentType: contentType ?? 'application/json',
    body:
      raw === '_deep'
        ? '['.repeat(5000) + ']'.repeat(5000)
        : (raw ??
          JSON.stringify(
            Object.fromEntries(Object.entries(body ?? {}).map(([k, v]) => [k, expand(v)])),
          )),
  }))
}
