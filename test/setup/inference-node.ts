/**
 * Global setup of the workerd project: the default model, a real inference
 * node serving it, the fake stalling node for timeout tests, and the node
 * fleet (real nodes behind gates, started and killed by name through a
 * loopback control server) for the origin-pool tests. URLs reach the
 * worker's bindings and the tests through `inject`.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import type { TestProject } from 'vitest/node'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { ensureDefaultModel } from '../../scripts/default-model/prepare.ts'
import { freePort } from '../../scripts/dev/service-process.ts'
import { startInferenceNode } from '../../scripts/dev/inference-node-process.ts'
// What `project.provide` below may provide, and the workerd tests `inject`.
import type {} from '../support/node-fleet-contract.ts'
import { startNodeFleet } from '../support/node-fleet.ts'
import { startStallingServer } from '../support/stalling-server.ts'

export const TEST_NODE_SECRET = 'test-secret-shared-by-edge-and-node'

const SAMPLE_TEXT = 'Token ids skip the tokenizer but land on the same vector'

async function sampleTokenIds(modelDir: string): Promise<{ text: string; ids: number[] }> {
  const json = JSON.parse(await readFile(path.join(modelDir, 'tokenizer.json'), 'utf8'))
  const ids = new Tokenizer(json, {}).encode(SAMPLE_TEXT, { add_special_tokens: false }).ids
  return { text: SAMPLE_TEXT, ids }
}

export default async function setup(project: TestProject) {
  const modelDir = await ensureDefaultModel(path.join(REPO_ROOT, 'models'))
  const node = await startInferenceNode({ modelDir, secret: TEST_NODE_SECRET })
  const stalling = await startStallingServer()
  const fleet = await startNodeFleet(TEST_NODE_SECRET)
  project.provide('nodeUrl', node.url)
  project.provide('nodeSecret', TEST_NODE_SECRET)
  project.provide('stallingNodeUrl', stalling.url)
  // Nothing listens there: connection refused, the shape of a dead node.
  project.provide('deadNodeUrl', `http://127.0.0.1:${await freePort()}`)
  project.provide('nodeControlUrl', fleet.controlUrl)
  project.provide('sampleTokenIds', await sampleTokenIds(modelDir))
  return async () => {
    await fleet.stop()
    await stalling.close()
    await node.stop()
  }
}
