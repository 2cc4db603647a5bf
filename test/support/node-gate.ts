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
 */
import http from 'node:http'
import type { Socket } from 'node:net'
import { EMBED_PATH } from '../../shared/node-protocol.ts'

export interface GateStats {
  /** Embed calls forwarded since the last reset. */
  embedCalls: number
  /** Every input of those calls, as `text:…` or `ids:1,2,3`, in arrival order (the last 10,000). */
  inputs: string[]
}

const MAX_RECORDED_INPUTS = 10_000

const describeInput = (input: { text?: string; ids?: number[] }) =>
  input.text !== undefined ? `text:${input.text}` : `ids:${(input.ids ?? []).join(',')}`

export class NodeGate {
  private server: http.Server | null = null
  private upstream: string | null = null
  private readonly sockets = new Set<Socket>()
  private readonly agent = new http.Agent({ keepAlive: true })
  stats: GateStats = { embedCalls: 0, inputs: [] }
  /** Flip a bit of every 200 embed answer on its way to the edge. */
  tamper = false

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
    this.stats = { embedCalls: 0, inputs: [] }
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
      const upstream = this.upstream
      // The node went away while this request was arriving: drop it as a dead node would.
      if (!upstream) return void req.socket.destroy()
      const body = Buffer.concat(chunks)
      if (req.method === 'POST' && req.url === EMBED_PATH) this.record(body)
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
    })
  }
}
