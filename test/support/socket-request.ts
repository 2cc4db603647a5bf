/**
 * One request on a given `http.Agent`, for tests about what happens to a
 * kept-alive connection: the status (or the error that ended it, as an outcome
 * to assert on, not a crash of the test) and whether it travelled on a socket
 * an earlier request had used.
 */
import http from 'node:http'

export interface SocketOutcome {
  status: number | string
  reusedSocket: boolean
}

export function requestOnAgent(
  agent: http.Agent,
  url: URL,
  options: { method: 'GET' | 'POST'; headers: http.OutgoingHttpHeaders; timeoutMs: number },
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
      response.resume()
      response.on('end', () =>
        resolve({ status: response.statusCode!, reusedSocket: request.reusedSocket }),
      )
    })
    request.on('timeout', () => request.destroy(new Error('no answer')))
    request.on('error', (err) =>
      resolve({ status: `error: ${err.message}`, reusedSocket: request.reusedSocket }),
    )
    send(request)
  })
}
