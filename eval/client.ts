/**
 * Embeddings from any OpenAI-compatible endpoint through the official `openai` client: this
 * service, OpenAI, text-embeddings-inference, Infinity, SGLang. Only OpenAI's own fields are sent
 * (the eval writes instructions into the text itself), so every endpoint gets the same request.
 * Failures a user can fix become one line (EvalError): unreachable, wrong key, unknown model.
 */
import OpenAI from 'openai'

export interface Target {
  label: string
  baseUrl: string
  apiKey: string
  model: string
}

export class EvalError extends Error {}

/** Texts per call: within every endpoint's limits, and a progress bar that moves. */
const CHUNK = 32

export class EmbeddingClient {
  private readonly client: OpenAI
  /** Texts embedded so far, for the progress bar. */
  embedded = 0

  constructor(
    readonly target: Target,
    private readonly onProgress: (texts: number) => void = () => {},
  ) {
    this.client = new OpenAI({ apiKey: target.apiKey, baseURL: target.baseUrl, maxRetries: 2 })
  }

  /** Unit vectors (as the endpoint returns them), in input order. */
  async embed(
    texts: string[],
    options: { dimensions?: number; encoding?: 'float' | 'base64' } = {},
  ): Promise<Float32Array[]> {
    const out: Float32Array[] = []
    for (let start = 0; start < texts.length; start += CHUNK) {
      const chunk = texts.slice(start, start + CHUNK)
      const response = await this.call(chunk, options)
      for (const item of response.data.sort((a, b) => a.index - b.index)) {
        const embedding = item.embedding as unknown
        out.push(
          typeof embedding === 'string'
            ? new Float32Array(Uint8Array.from(Buffer.from(embedding, 'base64')).buffer)
            : Float32Array.from(embedding as number[]),
        )
      }
      this.embedded += chunk.length
      this.onProgress(chunk.length)
    }
    return out
  }

  private async call(
    input: string[],
    options: { dimensions?: number; encoding?: 'float' | 'base64' },
  ) {
    try {
      return await this.client.embeddings.create({
        model: this.target.model,
        input,
        encoding_format: options.encoding ?? 'float',
        ...(options.dimensions ? { dimensions: options.dimensions } : {}),
      })
    } catch (err) {
      throw describe(err, this.target)
    }
  }
}

function describe(err: unknown, target: Target): Error {
  const where = `${target.label} (${target.baseUrl}, model ${target.model})`
  if (err instanceof OpenAI.APIConnectionError)
    return new EvalError(`cannot reach ${where}: ${err.message}`)
  if (err instanceof OpenAI.AuthenticationError)
    return new EvalError(`${where} refused the API key (401): ${err.message}`)
  if (err instanceof OpenAI.NotFoundError || err instanceof OpenAI.PermissionDeniedError)
    return new EvalError(`${where} does not serve the model (${err.status}): ${err.message}`)
  if (err instanceof OpenAI.APIError)
    return new EvalError(`${where} answered ${err.status}: ${err.message}`)
  return err instanceof Error ? err : new Error(String(err))
}
