/**
 * Global setup of the e2e project: runs `npm start`'s own script (default
 * model, real node, wrangler dev with local KV) on free ports with a known
 * development key, exactly as a user starts the service.
 */
import type { TestProject } from 'vitest/node'
import { startService } from '../../scripts/dev/service-process.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    edgeUrl: string
    devKey: string
    adminSecret: string
    startOutput: string
  }
}

export default async function setup(project: TestProject) {
  const service = await startService()
  project.provide('edgeUrl', service.edgeUrl)
  project.provide('devKey', service.apiKey)
  project.provide('adminSecret', service.adminSecret)
  project.provide('startOutput', service.output)
  return service.stop
}
