/**
 * Test harness, not a fake: a loopback HTTP forwarder on a fixed port in front
 * of one real inference node. The edge is configured with the gate's URL,
 * which stays the same while the node behind it is killed and restarted (a
 * restarted node listens on a new port). While no node is behind it the gate
 * does not listen at all, so the edge meets a refused connection, exactly as
 * with a dead node. It also records each `POST /internal/embed` it forwards
 * (one call, which inputs), the observable that rendezvous, failover and
 * coalescing tests assert on. With `tamper` set, it flips one bit of every
 * vector frame the node answers, as an attacker on the path would: the
 * response-signature tests assert the edge believes none of them.
 *
 * Three more switches stand for states a real node reaches only under load or
 * at the wrong moment, which a test cannot bring about on demand:
 * - `unready`: `/ready` answers 503, as a loading or draining node's does,
 *   while embed calls still reach the node;
 * - `holdMs`: each embed call waits that long before it goes on (Infinity:
 *   it is never answered, a node that hangs);
 * - `fullRetryAfter`: each embed call is answered 429 with that Retry-After,
 *   in the node's own error shape, as a node at capacity answers (the real
 *   node always says 1 s, too short to tell apart from the edge's default).
 *
 * And one for place: `distanceMs` delays every request (embed calls, /ready, /info) by
 * that much before it goes on, as a node in a region that far away answers later.
 */
import http from 'node:http'
import type { Socket } from 'node:net'
import { ApiError } from '../../shared/errors.ts'
import { EMBED_PATH, READY_PATH } from '../../shared/node-protocol.ts'
import type { GateStats } from './node-fleet-contract.ts'

const MAX_RECORDED_INPUTS = 10_000

const describeInput = (input: { text?: string; ids?: number[] }) =>
  input.text !== undefined ? `text:${input.text}` : `ids:${(input.ids ?? []).join(',')}`

export class NodeGate {
  private server: http.Server | null = null
  private upstream: string | null = null
  private readonly sockets = new Set<Socket>()
  private readonly agent = new http.Agent({ keepAlive: true })
  stats: GateStats = { embedCalls: 0, readyCalls: 0, inputs: [] }
  /** Flip a bit of every 200 embed answer on its way to the edge. */
  tamper = false
  /** Answer /ready with 503 (not ready); everything else is still forwarded. */
  unready = false
  /** Milliseconds each embed call is held before it goes on; Infinity: never answered. */
  holdMs = 0
  /** When set, embed calls get 429 with this Retry-After (seconds) instead of reaching the node. */
  fullRetryAfter: number | null = null
  /**
   * When set, embed calls get the node's 422 `invalid_vector` for the call's input at this
   * index, as a node whose model produced NaN for it answers (gpu-node/vector-guard.test.ts
   * drives the real one): a GPU fault cannot be made here on demand.
   */
  brokenVectorAt: number | null = null
  /** Milliseconds every request waits before it is handled: the round trip to a far region. */
  distanceMs = 0

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get isOpen(): boolean {
    return this.server !== null
  }

  /** Starts forwarding to `upstream` (a running node's URL). */
  async open(upstream: string): Promise<void> {
    this.upstream = upstream
    if (this.server) return
    const server = http.createServer((req, res) => this.forward(req, res))
    server.on('connection', (socket) => {
      this.sockets.add(socket)
      socket.once('close', () => this.sockets.delete(socket))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
    this.server = server
  }

  /** Stops listening and drops every open connection: from now on, connections are refused. */
  async close(): Promise<void> {
    const server = this.server
    this.server = null
    this.upstream = null
    if (!server) return
    for (const socket of this.sockets) socket.destroy()
    this.agent.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  resetStats(): void {
    this.stats = { embedCalls: 0, readyCalls: 0, inputs: [] }
  }

  private record(body: Buffer): void {
    this.stats.embedCalls += 1
    try {
      const { inputs } = JSON.parse(body.toString('utf8')) as { inputs: { text?: string }[] }
      this.stats.inputs.push(...inputs.map(describeInput))
      this.stats.inputs.splice(0, Math.max(0, this.stats.inputs.length - MAX_RECORDED_INPUTS))
    } catch {
      // Not JSON: the node refuses it; the call is still counted.
    }
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      if (this.distanceMs === 0) return this.handle(req, res, Buffer.concat(chunks))
      const timer = setTimeout(() => this.handle(req, res, Buffer.concat(chunks)), this.distanceMs)
      res.once('close', () => clearTimeout(timer))
    })
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const upstream = this.upstream
    // The node went away while this request was arriving: drop it as a dead node would.
    if (!upstream) return void req.socket.destroy()
    if (req.url === READY_PATH) this.stats.readyCalls += 1
    if (this.unready && req.url === READY_PATH) {
      res.writeHead(503, { 'content-type': 'application/json' })
      return void res.end(JSON.stringify({ status: 'loading' }))
    }
    if (req.method !== 'POST' || req.url !== EMBED_PATH) return this.send(req, res, body)
    this.record(body)
    const answer = () => {
      if (res.destroyed || req.socket.destroyed) return // the edge gave up waiting
      if (this.fullRetryAfter === null && this.brokenVectorAt === null) {
        return this.send(req, res, body)
      }
      const refusal =
        this.fullRetryAfter !== null
          ? new ApiError(429, 'the node is at capacity (node gate)', {
              code: 'node_overloaded',
              headers: { 'retry-after': String(this.fullRetryAfter) },
            })
          : new ApiError(422, 'the model produced a vector of NaN for this input (node gate)', {
              inputIndex: this.brokenVectorAt,
              code: 'invalid_vector',
            })
      res.writeHead(refusal.status, { 'content-type': 'application/json', ...refusal.headers })
      res.end(JSON.stringify(refusal.toBody()))
    }
    if (this.holdMs === 0) return answer()
    if (this.holdMs === Infinity) return // held until the edge or the gate closes the connection
    const timer = setTimeout(answer, this.holdMs)
    res.once('close', () => clearTimeout(timer))
  }

  /** Forwards one request to the node as it came, and its answer back. */
  private send(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const upstream = this.upstream
    if (!upstream) return void req.socket.destroy()
    const call = http.request(
      new URL(req.url ?? '/', upstream),
      { method: req.method, headers: req.headers, agent: this.agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        if (this.tamper && req.url === EMBED_PATH && answer.statusCode === 200) {
          const parts: Buffer[] = []
          answer.on('data', (part: Buffer) => parts.push(part))
          answer.on('end', () => {
            const frame = Buffer.concat(parts)
            frame[frame.length - 1] ^= 1
            res.end(frame)
          })
          return
        }
        answer.pipe(res)
        answer.on('aborted', () => res.destroy())
        answer.on('error', () => res.destroy())
      },
    )
    call.on('error', () => req.socket.destroy())
    call.end(body)
  }
}
