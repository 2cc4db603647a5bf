/**
 * Starts an inference node: read configuration, load the model folder into
 * its sessions and tokenization threads, listen, warm up, then answer
 * `/ready`. On SIGTERM or SIGINT it shuts down gracefully: `/ready` turns 503,
 * no new connections are accepted, new requests on open connections get 503,
 * the requests in flight finish, and the process exits 0 (1 if they did not
 * finish within SHUTDOWN_TIMEOUT_MS). Started with an IPC channel (npm start, the
 * tests and the benchmarks start it so), it shuts down the same way when the channel closes:
 * the process that started it is gone, however it ended, and a node left behind would hold
 * its port, its memory and a GPU.
 */
import { serve } from '@hono/node-server'
import path from 'node:path'
import type { Server } from 'node:http'
import { configFromEnv } from './config.ts'
import { loadNode } from './load-node.ts'

const config = configFromEnv()
const node = await loadNode(config, { processMetrics: true })
const { id, revision, dimensions, pooling, max_input_tokens: maxTokens } = node.manifest
console.log(
  `[node] ${path.relative(node.folder.dir, node.served.onnxPath)} (${node.served.variant}) from ${node.folder.dir}: ${dimensions}-d, ${pooling} pooling, at most ${maxTokens} tokens; \`npm run model:inspect -- ${node.folder.dir}\` says where each value came from`,
)

const server = serve(
  { fetch: node.app.fetch, hostname: config.host, port: config.port },
  (address) => {
    console.log(
      `[node] ${id}@${revision} (${dimensions}-d) on ${node.sessions.join(', ')}, listening on http://${config.host}:${address.port}`,
    )
  },
) as Server

await node.warmUp()
node.state.ready = true
console.log('[node] warmed up and ready')

let shuttingDown = false

async function shutDown(signal: string): Promise<void> {
  if (shuttingDown) return
  shuttingDown = true
  const inFlight = node.state.requestsInFlight
  console.log(`[node] ${signal}: finishing ${inFlight} request(s) in flight, then exiting`)
  node.state.draining = true
  // Every response from now on says `connection: close`, so each open connection ends after
  // its request is answered; close() resolves when the last one has.
  const closed = new Promise<'drained'>((resolve) => server.close(() => resolve('drained')))
  server.closeIdleConnections()
  const deadline = new Promise<'timeout'>((resolve) =>
    setTimeout(resolve, config.shutdownTimeoutMs, 'timeout').unref(),
  )
  const outcome = await Promise.race([closed, deadline])
  if (outcome === 'timeout') server.closeAllConnections()
  await node.close()
  if (outcome === 'timeout') {
    console.error(`[node] requests still in flight after ${config.shutdownTimeoutMs} ms; exiting`)
    process.exit(1)
  }
  console.log('[node] all requests answered; exiting')
  process.exit(0)
}
process.once('SIGTERM', () => void shutDown('SIGTERM'))
process.once('SIGINT', () => void shutDown('SIGINT'))
if (process.channel) {
  // The channel is only a lifeline: it must not keep the node alive, nor be what ends it.
  process.channel.unref()
  process.once('disconnect', () => void shutDown('the process that started this node is gone'))
}
