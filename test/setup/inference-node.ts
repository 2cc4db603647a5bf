/**
 * Global setup of the workerd project: the default model, a real inference
 * node serving it, and the fake stalling node for timeout tests. Their URLs
 * reach the worker's bindings and the tests through `inject`.
 */
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { ensureDefaultModel } from '../../scripts/default-model/prepare.ts'
import { freePort } from '../../scripts/dev/service-process.ts'
import { startInferenceNode } from '../support/inference-node-process.ts'
import { startStallingServer } from '../support/stalling-server.ts'

export const TEST_NODE_SECRET = 'test-secret-shared-by-edge-and-node'

declare module 'vitest' {
  export interface ProvidedContext {
    nodeUrl: string
    nodeSecret: string
    stallingNodeUrl: string
    deadNodeUrl: string
  }
}

export default async function setup(project: TestProject) {
  const modelDir = await ensureDefaultModel(path.join(REPO_ROOT, 'models'))
  const node = await startInferenceNode({ modelDir, secret: TEST_NODE_SECRET })
  const stalling = await startStallingServer()
  project.provide('nodeUrl', node.url)
  project.provide('nodeSecret', TEST_NODE_SECRET)
  project.provide('stallingNodeUrl', stalling.url)
  // Nothing listens there: connection refused, the shape of a dead node.
  project.provide('deadNodeUrl', `http://127.0.0.1:${await freePort()}`)
  return async () => {
    await stalling.close()
    await node.stop()
  }
}
