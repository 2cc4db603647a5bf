/**
 * One embedding call as the edge makes it: a signed JSON body to `POST /internal/embed`, a
 * vector frame back. The same call drives the node and both baselines.
 *
 * The load generator shares this machine's cores with the server it measures, so it is as
 * cheap as Node allows: `node:http` over kept-alive sockets. The global `fetch` (undici) cost
 * about 2 ms more main-thread time per call here (measured: 4.2 ms against 2.1 ms for the same
 * cached request), CPU that every contender lost to the client.
 */
import http from 'node:http'
import { EMBED_PATH, type EmbedRequest } from '../../../shared/node-protocol.ts'
import { SIGNATURE_HEADER } from '../../../shared/signing.ts'
import { signEmbed } from '../../../edge/origin/signed-calls.ts'
import { decodeFrame } from '../../../shared/vector-codec.ts'

export interface EmbedTarget {
  url: string
  secret: string
  model: string
  timeoutMs: number
}

/** One socket per concurrent client, kept between calls, as the edge's connection pool does. */
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity })

/**
 * @param signal aborts the call early (a load cell's deadline); `timeoutMs` applies anyway.
 * @param tenant the tenant tag the edge would sign in (absent: the node's one shared tenant)
 */
export async function embedText(
  target: EmbedTarget,
  text: string,
  signal?: AbortSignal,
  tenant?: string,
): Promise<{ vector: Float32Array; tokens: number }> {
  const request: EmbedRequest = { model: target.model, inputs: [{ text }], truncate: true, tenant }
  const body = Buffer.from(JSON.stringify(request))
  const signature = await signEmbed(target.secret, body)
  const { status, payload } = await post(target, body, signature, signal).catch((err) =>
    // A kept-alive socket the server closed (its keep-alive timeout) just as it was reused:
    // the request never reached the server, so sending it again is safe (Node's own advice).
    err instanceof StaleSocketError ? post(target, body, signature, signal) : Promise.reject(err),
  )
  if (status !== 200) {
    throw new Error(`HTTP ${status}: ${payload.toString('utf8').slice(0, 200)}`)
  }
  const frame = decodeFrame(payload)
  if (frame.vectors.length !== 1) throw new Error(`expected 1 vector, got ${frame.vectors.length}`)
  return { vector: frame.vectors[0], tokens: frame.tokenCounts[0] }
}

class StaleSocketError extends Error {
  constructor() {
    super('the server closed a kept-alive socket as it was reused')
  }
}

function post(
  target: EmbedTarget,
  body: Buffer,
  signature: string,
  signal?: AbortSignal,
): Promise<{ status: number; payload: Buffer }> {
  return new Promise((resolve, reject) => {
    let settled = false
    const settle =
      <T>(action: (value: T) => void) =>
      (value: T) => {
        if (settled) return
        settled = true
        action(value)
      }
    resolve = settle(resolve)
    reject = settle(reject)
    const call = http.request(
      `${target.url}${EMBED_PATH}`,
      {
        method: 'POST',
        agent,
        signal,
        timeout: target.timeoutMs,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          [SIGNATURE_HEADER]: signature,
        },
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, payload: Buffer.concat(chunks) }),
        )
        response.on('error', reject)
      },
    )
    // Whatever ends the exchange early (an abort, a reset mid-answer), the call settles.
    call.on('close', () => reject(new Error('the connection closed before the answer ended')))
    call.on('timeout', () => call.destroy(new Error(`no answer within ${target.timeoutMs} ms`)))
    call.on('error', (err: NodeJS.ErrnoException) =>
      reject(call.reusedSocket && err.code === 'ECONNRESET' ? new StaleSocketError() : err),
    )
    call.end(body)
  })
}
