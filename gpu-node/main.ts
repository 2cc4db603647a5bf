/**
 * Starts an inference node: read configuration, load the model folder, warm
 * up, then serve. On SIGTERM/SIGINT it stops accepting connections, lets
 * requests in flight finish, and exits 0.
 */
import { serve } from '@hono/node-server'
import { configFromEnv } from './config.ts'
import { loadEmbeddingService } from './core/load-service.ts'
import { createNodeApp } from './router/app.ts'

const config = configFromEnv()
const { service, provider, release } = await loadEmbeddingService(config)
const { id, revision, dimensions } = service.manifest

let ready = false
const app = createNodeApp({
  service,
  secret: config.secret,
  executionProvider: provider,
  maxBatchSize: config.maxBatchSize,
  maxInputsPerRequest: config.maxInputsPerRequest,
  maxBodyBytes: config.maxBodyBytes,
  isReady: () => ready,
})

const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (address) => {
  console.log(
    `[node] ${id}@${revision} (${dimensions}-d) on ${provider.toUpperCase()}, listening on http://${config.host}:${address.port}`,
  )
})

await service.warmUp()
ready = true
console.log('[node] warmed up and ready')

function shutDown(signal: string): void {
  console.log(`[node] ${signal}: finishing requests in flight, then exiting`)
  ready = false
  server.close(() => {
    void release().finally(() => process.exit(0))
  })
}
process.once('SIGTERM', () => shutDown('SIGTERM'))
process.once('SIGINT', () => shutDown('SIGINT'))
