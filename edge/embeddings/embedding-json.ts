/**
 * The JSON text of one embedding in a response, kept for the vectors asked for again and
 * again. Writing floats as short JSON is JavaScript work per digit (float32-json.ts), the
 * largest part of a cached request's own cost; the same popular query would pay it on every hit.
 *
 * Entries are keyed by cache key, dimensions and encoding, and hold the vector they were
 * written from: text is reused only for that very vector object (the one the isolate tier
 * returns on every hit), so it can never describe another vector, nor outlive the vector's
 * own expiry in the tiers. The memory, its bound and that same-object rule are in
 * edge/isolate/isolate-memory.ts (`embeddingJson`).
 *
 * The README's request walk: step 18.
 */
import type { EmbeddingsResponse } from './embeddings-response.ts'
import { isolateMemory } from '../isolate/isolate-memory.ts'
import { projectVector } from './projection.ts'
import { vectorToBase64 } from '../../shared/vector-codec.ts'
import { float32ArrayJson } from './float32-json.ts'

/**
 * `vector` cut to `dimensions` (Matryoshka), as a JSON array of floats or a base64 string.
 * `remember`: false for a tenant whose vectors the edge keeps nowhere (`edge_cache: false`).
 */
export function embeddingJson(
  key: string,
  vector: Float32Array,
  dimensions: number,
  format: 'float' | 'base64',
  remember: boolean,
): string {
  const name = `${key}|${dimensions}|${format}`
  const written = isolateMemory.embeddingJson
  const known = written.get(name)
  if (known?.vector === vector) return known.json
  const projected = dimensions === vector.length ? vector : projectVector(vector, dimensions)
  const json =
    format === 'base64' ? JSON.stringify(vectorToBase64(projected)) : float32ArrayJson(projected)
  if (remember) written.set(name, { vector, json })
  return json
}

/** The JSON around the embeddings: what comes before the first and after the last. */
function envelope(model: string, tokens: number): { head: string; tail: string } {
  const usage: EmbeddingsResponse['usage'] = { prompt_tokens: tokens, total_tokens: tokens }
  return {
    head: '{"object":"list","data":[',
    tail: `],"model":${JSON.stringify(model)},"usage":${JSON.stringify(usage)}}`,
  }
}

const itemJson = (index: number, json: string) =>
  `{"object":"embedding","index":${index},"embedding":${json}}`

/** Embeddings written per pull of a streamed answer: about 0.5 MB of text at 2560 floats. */
const STREAM_CHUNK = 16

/**
 * The same text as `embeddingsResponseJson`, written as the client reads it, a few embeddings
 * at a time: an answer of 2048 embeddings of 2560 floats is about 50 MB of JSON, which the
 * 128 MB isolate could not hold as one string beside its copies. `embeddingAt(i)` writes the
 * i-th embedding's JSON when its turn comes.
 */
export function embeddingsResponseStream(
  count: number,
  embeddingAt: (index: number) => string,
  model: string,
  tokens: number,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  const { head, tail } = envelope(model, tokens)
  let next = 0
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        let text = next === 0 ? head : ''
        const end = Math.min(count, next + STREAM_CHUNK)
        for (; next < end; next++) text += (next > 0 ? ',' : '') + itemJson(next, embeddingAt(next))
        if (next === count) {
          controller.enqueue(encoder.encode(text + tail))
          controller.close()
        } else controller.enqueue(encoder.encode(text))
      },
    },
    { highWaterMark: 0 },
  )
}

/**
 * OpenAI's response around embeddings already written as JSON: the same text
 * `JSON.stringify(response)` would give for an `EmbeddingsResponse`, but for floats written
 * as float32 (float32-json.ts).
 */
export function embeddingsResponseJson(
  data: { index: number; json: string }[],
  model: string,
  tokens: number,
): string {
  const { head, tail } = envelope(model, tokens)
  return head + data.map(({ index, json }) => itemJson(index, json)).join(',') + tail
}
