/**
 * One request on a given `http.Agent`, for tests about what happens to a
 * kept-alive connection: the status (or the error that ended it, as an outcome
 * to assert on, not a crash of the test), whether it travelled on a socket
 * an earlier request had used, and, when asked for, the response's body.
 */
import http from 'node:http'

export interface SocketOutcome {
  status: number | string
  reusedSocket: boolean
  /** The response's body, with `keepBody`. */
  body?: string
}

export function requestOnAgent(
  agent: http.Agent,
  url: URL,
  options: {
    method: 'GET' | 'POST'
    headers: http.OutgoingHttpHeaders
    timeoutMs: number
    keepBody?: boolean
  },
  /** Writes the body and ends the request; default: no body. */
  send: (request: http.ClientRequest) => void = (request) => request.end(),
): Promise<SocketOutcome> {
  return new Promise((resolve) => {
    const request = http.request(url, {
      agent,
      method: options.method,
      headers: options.headers,
      timeout: options.timeoutMs,
    })
    request.on('response', (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () =>
        resolve({
          status: response.statusCode!,
          reusedSocket: request.reusedSocket,
          ...(options.keepBody ? { body } : {}),
        }),
      )
    })
    request.on('timeout', () => request.destroy(new Error('no answer')))
    request.on('error', (err) =>
      resolve({ status: `error: ${err.message}`, reusedSocket: request.reusedSocket }),
    )
    send(request)
  })
}
