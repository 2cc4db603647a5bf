/**
 * The one error type both tiers throw, and the OpenAI error body it becomes: the shape both
 * tiers answer with, the node to the edge and the edge to its clients.
 *
 * OpenAI clients read `error.message`, `error.type`, `error.param` and
 * `error.code`; the HTTP status carries the class of failure. An error about one input also
 * carries that input's position as a field, `error.input_index` (and `param` is `input[i]`),
 * never only inside the message: the edge sends a node part of a request, so a node's index
 * is renumbered into the client's (`forInput`), and text is never rewritten.
 */

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'service_unavailable'
  | 'timeout_error'

export interface OpenAIErrorBody {
  error: {
    message: string
    type: ErrorType
    param: string | null
    code: string | null
    /** Which input of the request the error is about; absent when it is about the request. */
    input_index?: number
  }
}

/** Default error type for a status, so most call sites give only status and message. */
export function typeForStatus(status: number): ErrorType {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 404) return 'not_found_error'
  if (status === 429) return 'rate_limit_error'
  if (status === 503) return 'service_unavailable'
  if (status === 504) return 'timeout_error'
  if (status >= 500) return 'server_error'
  return 'invalid_request_error'
}

export interface ApiErrorOptions {
  /**
   * The input the error is about, by its position in the request; `param` is then `input[i]`.
   * The message describes the input without naming its position.
   */
  inputIndex?: number | null
  param?: string | null
  code?: string | null
  type?: ErrorType
  /** Extra response headers, e.g. `Retry-After` or `WWW-Authenticate`. */
  headers?: Record<string, string>
  cause?: unknown
}

/**
 * An error that is meant for the client: it carries its HTTP status and the
 * OpenAI-shaped body. Anything else that escapes a handler is a bug and
 * becomes a 500 with a generic message.
 */
export class ApiError extends Error {
  readonly status: number
  readonly type: ErrorType
  readonly param: string | null
  readonly code: string | null
  readonly inputIndex: number | null
  readonly headers: Record<string, string>

  constructor(status: number, message: string, options: ApiErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'ApiError'
    this.status = status
    this.type = options.type ?? typeForStatus(status)
    this.inputIndex = options.inputIndex ?? null
    this.param = this.inputIndex === null ? (options.param ?? null) : `input[${this.inputIndex}]`
    this.code = options.code ?? null
    this.headers = options.headers ?? {}
  }

  /** The same error about the input at `index` instead (a node's part → the client's request). */
  forInput(index: number): ApiError {
    return this.about({ inputIndex: index })
  }

  /** The same error naming no input (`param: input`), when which one is not known. */
  forRequest(): ApiError {
    return this.about({ param: 'input' })
  }

  /** The same error, about what `subject` names instead. */
  private about(subject: Pick<ApiErrorOptions, 'inputIndex' | 'param'>): ApiError {
    const { code, type, headers, cause } = this
    return new ApiError(this.status, this.message, { code, type, headers, cause, ...subject })
  }

  toBody(): OpenAIErrorBody {
    const { message, type, param, code, inputIndex } = this
    return {
      error:
        inputIndex === null
          ? { message, type, param, code }
          : { message, type, param, code, input_index: inputIndex },
    }
  }

  toResponse(extraHeaders: Record<string, string> = {}): Response {
    return new Response(JSON.stringify(this.toBody()), {
      status: this.status,
      headers: { 'content-type': 'application/json', ...this.headers, ...extraHeaders },
    })
  }
}

/** Reads an OpenAI-shaped error body back into an ApiError (e.g. a node's 4xx seen by the edge). */
export function apiErrorFromBody(status: number, body: unknown): ApiError {
  const error = (body as Partial<OpenAIErrorBody> | null)?.error
  if (error && typeof error.message === 'string') {
    const inputIndex = error.input_index
    return new ApiError(status, error.message, {
      inputIndex: Number.isSafeInteger(inputIndex) && inputIndex! >= 0 ? inputIndex : null,
      param: error.param ?? null,
      code: error.code ?? null,
      type: error.type,
    })
  }
  return new ApiError(status, `upstream answered ${status}`)
}

/**
 * A request over MAX_REQUEST_TOKENS, refused before any inference: by the edge when its inputs'
 * least already passes it (edge/origin/token-ledger.ts), by a node as soon as tokenizing shows
 * it (gpu-node/tokenization/tokenize-worker.ts). `atLeast`: the tokens it is known to have.
 */
export function tooManyTokens(atLeast: number, max: number): ApiError {
  return new ApiError(
    400,
    `this request has at least ${atLeast} tokens; at most ${max} are allowed in one request: ` +
      'send its inputs in several requests',
    { param: 'input', code: 'request_too_many_tokens' },
  )
}
