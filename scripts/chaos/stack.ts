/**
 * The whole service as `npm run chaos` runs it: two real inference nodes on
 * fixed loopback ports (a restarted node keeps its URL, as behind a load
 * balancer), and the bundled edge worker under Miniflare in front of both,
 * with its tenants and an admin secret. Nothing here answers for a node.
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import {
  startBundledEdge,
  type BundledEdge,
  type EdgeTenant,
} from '../dev/bundled-edge.ts'
import { startInferenceNode, type RunningNode } from '../dev/inference-node-process.ts'
import { ensureDefaultModel } from '../default-model/prepare.ts'
import { freePort } from '../dev/service-process.ts'

export type NodeName = 'a' | 'b'

export interface ChaosStack {
  edge: BundledEdge
  modelDir: string
  adminSecret: string
  /** The node's process, or null while it is down. */
  node(name: NodeName): RunningNode | null
  start(name: NodeName): Promise<void>
  /** SIGKILL: connections refused at once, requests in flight cut. */
  kill(name: NodeName): Promise<void>
  /** SIGTERM: the node drains what it holds and exits; resolves on exit. */
  terminate(name: NodeName): Promise<{ code: number | null }>
  stop(): Promise<void>
}

export async function startChaosStack(tenants: EdgeTenant[]): Promise<ChaosStack> {
  const modelDir = await ensureDefaultModel(path.join(REPO_ROOT, 'models'), { log: () => {} })
  const secret = randomBytes(24).toString('hex')
  const adminSecret = randomBytes(24).toString('hex')
  const ports = { a: await freePort(), b: await freePort() }
  while (ports.b === ports.a) ports.b = await freePort()
  const running: Record<NodeName, RunningNode | null> = { a: null, b: null }

  async function start(name: NodeName): Promise<void> {
    running[name] = await startInferenceNode({
      modelDir,
      secret,
      port: ports[name],
      // One tokenizer thread each: two nodes and the load share two cores.
      env: { TOKENIZATION_WORKERS: '1', SHUTDOWN_TIMEOUT_MS: '20000', EXECUTION_PROVIDERS: 'cpu' },
    })
  }
  await Promise.all([start('a'), start('b')])
  const edge = await startBundledEdge({
    nodeUrls: [`http://127.0.0.1:${ports.a}`, `http://127.0.0.1:${ports.b}`],
    nodeSecret: secret,
    tenants,
    vars: {
      ADMIN_SECRET: adminSecret,
      NODE_BREAKER_COOLDOWN_MS: '1000',
      NODE_HEALTH_INTERVAL_MS: '1000',
    },
  })

  return {
    edge,
    modelDir,
    adminSecret,
    node: (name) => running[name],
    start,
    async kill(name) {
      const node = running[name]
      running[name] = null
      if (!node) return
      node.process.kill('SIGKILL')
      await node.exited
    },
    async terminate(name) {
      const node = running[name]
      if (!node) return { code: null }
      node.process.kill('SIGTERM')
      const { code } = await node.exited
      running[name] = null
      return { code }
    },
    async stop() {
      await edge.stop()
      await Promise.all((['a', 'b'] as const).map((name) => running[name]?.stop()))
    },
  }
}
