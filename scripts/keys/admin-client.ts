/**
 * The keys CLI's way to call the edge's admin API: one JSON request with the
 * admin secret, and every failure turned into a message a person can act on.
 */

/** A failure to show the operator as it is, without a stack trace. */
export class CliError extends Error {}

export interface AdminClient {
  request<T>(method: string, path: string, body?: unknown): Promise<T>
}

const REQUEST_TIMEOUT_MS = 30_000

export function adminClient(baseUrl: string, secret: string): AdminClient {
  const base = baseUrl.replace(/\/+$/, '')
  return {
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let response: Response
      try {
        response = await fetch(`${base}/admin${path}`, {
          method,
          headers: {
            authorization: `Bearer ${secret}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          body: body !== undefined ? JSON.stringify(body) : undefined,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        })
      } catch (err) {
        const reason =
          (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message
        throw new CliError(
          `cannot reach ${base} (${reason}). Is \`npm start\` running, or is --url right?`,
        )
      }
      const text = await response.text()
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        throw new CliError(
          `${method} ${base}/admin${path} answered ${response.status} with a body that is not JSON`,
        )
      }
      if (!response.ok) {
        const error = (json as { error?: { message?: string; code?: string } }).error
        const code = error?.code ? `, ${error.code}` : ''
        throw new CliError(`${error?.message ?? 'request failed'} (HTTP ${response.status}${code})`)
      }
      return json as T
    },
  }
}
