/**
 * Test harness for the origin-pool tests: real inference nodes, each behind a
 * NodeGate, and a loopback control server that tests running inside workerd
 * call to start, kill and inspect them by name. Nothing here answers for a
 * node: every embedding comes from a real gpu-node process.
 *
 *   POST /nodes/:name/start?model=default|tiny-qwen3|tiny-qwen3-drifted&env={json}  → { url }
 *        (idempotent; env: extra node environment, e.g. {"MAX_CONCURRENT_REQUESTS":"1"};
 *        tiny-qwen3-drifted serves tiny-qwen3 against a baseline its weights do not match)
 *   POST /nodes/:name/kill                             → { url }   (SIGKILL; connections refused)
 *   GET  /nodes/:name/stats                            → GateStats
 *   POST /nodes/:name/stats/reset                      → {}
 *   POST /nodes/:name/tamper?on=true|false             → {}   (flip a bit of each vector frame)
 *   POST /nodes/:name/unready?on=true|false            → {}   (/ready answers 503)
 *   POST /nodes/:name/hold?ms=N|forever                → {}   (embed calls wait; 0: off)
 *   POST /nodes/:name/full?retry_after=N               → {}   (embed calls get 429; absent: off)
 *   POST /nodes/:name/broken-vector?index=N            → {}   (embed calls get 422 invalid_vector; absent: off)
 *   POST /nodes/:name/distance?ms=N                    → {}   (every request waits N ms: a far node)
 *   POST /nodes/:name/env?env={json}                   → {}   (its env from its next start on)
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { Server } from 'node:http'
import path from 'node:path'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { ensureDefaultModel } from '../../scripts/default-model/prepare.ts'
import { freePort } from '../../scripts/dev/service-process.ts'
import { ensureTinyQwen3 } from '../../scripts/tiny-qwen3/generate.ts'
import { startInferenceNode, type RunningNode } from '../../scripts/dev/inference-node-process.ts'
import { NodeGate } from './node-gate.ts'
import { otherWeightsBaseline } from './other-weights-baseline.ts'

const MODEL_FOLDERS: Record<string, () => Promise<string>> = {
  default: () => ensureDefaultModel(path.join(REPO_ROOT, 'models'), { log: () => {} }),
  'tiny-qwen3': () => ensureTinyQwen3(path.join(REPO_ROOT, 'models'), { log: () => {} }),
  'tiny-qwen3-drifted': () => ensureTinyQwen3(path.join(REPO_ROOT, 'models'), { log: () => {} }),
}

/** Environment a model kind adds: the drifted node compares itself with other weights' baseline. */
const MODEL_ENV: Record<string, () => Promise<Record<string, string>>> = {
  'tiny-qwen3-drifted': async () => ({ MONITOR_BASELINE: await otherWeightsBaseline() }),
}

interface FleetNode {
  gate: NodeGate
  model: string
  env: Record<string, string>
  running: RunningNode | null
  /** A start in progress, shared by concurrent calls. */
  starting: Promise<void> | null
}

export interface NodeFleet {
  controlUrl: string
  stop: () => Promise<void>
}

export async function startNodeFleet(secret: string): Promise<NodeFleet> {
  const nodes = new Map<string, FleetNode>()

  async function portNoGateHolds(): Promise<number> {
    const held = new Set([...nodes.values()].map((node) => node.gate.port))
    for (;;) {
      const port = await freePort()
      if (!held.has(port)) return port
    }
  }

  async function start(
    name: string,
    model: string,
    env: Record<string, string>,
  ): Promise<FleetNode> {
    let node = nodes.get(name)
    if (!node) {
      node = {
        gate: new NodeGate(await portNoGateHolds()),
        model,
        env,
        running: null,
        starting: null,
      }
      nodes.set(name, node)
    }
    const fleetNode = node
    fleetNode.starting ??= (async () => {
      if (fleetNode.running && fleetNode.gate.isOpen) return
      const folder = MODEL_FOLDERS[fleetNode.model]
      if (!folder) {
        throw new Error(`unknown model '${fleetNode.model}'; one of ${Object.keys(MODEL_FOLDERS)}`)
      }
      fleetNode.running = await startInferenceNode({
        // Not a port a gate holds for its node: gates listen only while their node runs, so
        // the OS may hand a gate's port out again, and the gate's next open would then fail.
        port: await portNoGateHolds(),
        modelDir: await folder(),
        secret,
        env: { ...(await MODEL_ENV[fleetNode.model]?.()), ...fleetNode.env },
      })
      await fleetNode.gate.open(fleetNode.running.url)
    })().finally(() => (fleetNode.starting = null))
    await fleetNode.starting
    return fleetNode
  }

  async function kill(node: FleetNode): Promise<void> {
    const running = node.running
    node.running = null
    await node.gate.close()
    if (!running || running.process.exitCode !== null || running.process.signalCode !== null) return
    const exited = new Promise((resolve) => running.process.once('exit', resolve))
    running.process.kill('SIGKILL')
    await exited
  }

  const app = new Hono()
  const known = (name: string) => {
    const node = nodes.get(name)
    if (!node) throw new Error(`no node named '${name}' was started`)
    return node
  }
  app.onError((err, c) => c.json({ error: err.message }, 400))
  app.post('/nodes/:name/start', async (c) => {
    const env = JSON.parse(c.req.query('env') ?? '{}') as Record<string, string>
    const node = await start(c.req.param('name'), c.req.query('model') ?? 'default', env)
    return c.json({ url: node.gate.url })
  })
  app.post('/nodes/:name/kill', async (c) => {
    const node = known(c.req.param('name'))
    await kill(node)
    return c.json({ url: node.gate.url })
  })
  app.get('/nodes/:name/stats', (c) => c.json(known(c.req.param('name')).gate.stats))
  app.post('/nodes/:name/tamper', (c) => {
    known(c.req.param('name')).gate.tamper = c.req.query('on') === 'true'
    return c.json({})
  })
  app.post('/nodes/:name/unready', (c) => {
    known(c.req.param('name')).gate.unready = c.req.query('on') === 'true'
    return c.json({})
  })
  app.post('/nodes/:name/hold', (c) => {
    const ms = c.req.query('ms') === 'forever' ? Infinity : Number(c.req.query('ms') ?? 0)
    if (!(ms >= 0)) throw new Error(`hold: ms must be a number of milliseconds or 'forever'`)
    known(c.req.param('name')).gate.holdMs = ms
    return c.json({})
  })
  app.post('/nodes/:name/distance', (c) => {
    const ms = Number(c.req.query('ms') ?? 0)
    if (!(ms >= 0 && ms < 60_000)) throw new Error('distance: ms must be from 0 to 60000')
    known(c.req.param('name')).gate.distanceMs = ms
    return c.json({})
  })
  app.post('/nodes/:name/full', (c) => {
    const retryAfter = c.req.query('retry_after')
    known(c.req.param('name')).gate.fullRetryAfter =
      retryAfter === undefined ? null : Number(retryAfter)
    return c.json({})
  })
  app.post('/nodes/:name/broken-vector', (c) => {
    const index = c.req.query('index')
    known(c.req.param('name')).gate.brokenVectorAt = index === undefined ? null : Number(index)
    return c.json({})
  })
  app.post('/nodes/:name/env', (c) => {
    const env = JSON.parse(c.req.query('env') ?? '{}') as Record<string, string>
    known(c.req.param('name')).env = env
    return c.json({})
  })
  app.post('/nodes/:name/stats/reset', (c) => {
    known(c.req.param('name')).gate.resetStats()
    return c.json({})
  })

  const port = await freePort()
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }) as Server
  await new Promise<void>((resolve) =>
    server.listening ? resolve() : server.once('listening', () => resolve()),
  )
  return {
    controlUrl: `http://127.0.0.1:${port}`,
    stop: async () => {
      await Promise.all([...nodes.values()].map(kill))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
