/**
 * One request to the edge as a tenant's client sends it, and what came back:
 * status, error code, decoded vectors, and when it was sent and answered (ms
 * since the run began). A network error is status 0, never a throw: the run
 * counts it.
 */
import { base64ToVector } from '../../shared/vector-codec.ts'

export const MODEL = 'use-lite-en'

export interface Answer {
  status: number
  code: string | null
  vectors: Float32Array[] | null
  sentAt: number
  doneAt: number
}

export interface Clock {
  now(): number
}

export async function send(
  clock: Clock,
  url: string,
  apiKey: string,
  body: string,
  contentType = 'application/json',
): Promise<Answer> {
  const sentAt = clock.now()
  try {
    const response = await fetch(`${url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': contentType },
      body,
      signal: AbortSignal.timeout(90_000),
    })
    const text = await response.text()
    const doneAt = clock.now()
    let json: { data?: { embedding: number[] | string }[]; error?: { code?: string } } = {}
    try {
      json = JSON.parse(text)
    } catch {
      return { status: response.status, code: 'not-json', vectors: null, sentAt, doneAt }
    }
    const vectors =
      response.status === 200 && json.data
        ? json.data.map(({ embedding }) =>
            typeof embedding === 'string'
              ? base64ToVector(embedding)
              : Float32Array.from(embedding),
          )
        : null
    return { status: response.status, code: json.error?.code ?? null, vectors, sentAt, doneAt }
  } catch (err) {
    return { status: 0, code: (err as Error).name, vectors: null, sentAt, doneAt: clock.now() }
  }
}

/** The body a tenant of the run sends: its own instruction, so its final texts are its own. */
export function embedBody(
  tenant: string,
  texts: string[],
  options: { dimensions?: number; base64?: boolean } = {},
): string {
  return JSON.stringify({
    model: MODEL,
    input: texts,
    template: 'prefix',
    instruction: instructionOf(tenant),
    ...(options.dimensions ? { dimensions: options.dimensions } : {}),
    ...(options.base64 ? { encoding_format: 'base64' } : {}),
  })
}

export const instructionOf = (tenant: string) => `chaos tenant ${tenant}:`
