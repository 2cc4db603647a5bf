/**
 * A vector the model broke (NaN, all zeros) is the node's fault, not the input's: the edge tries
 * another node, and when none can compute it the client hears the node's 422 `invalid_vector`
 * about its own input, by the client's index, though the node was sent only the misses. The
 * node's refusal comes from its gate (a GPU fault cannot be made on demand here); the real
 * node's guard is gpu-node/vector-guard.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../env.ts'
import { DEFAULT_MODEL, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import { breakNodeVectors, startNode } from '../../test/support/node-control.ts'
import { poolOverrides } from '../../test/support/pool-overrides.ts'

const key = 'sk-test-broken-vector-0001'
const node = 'broken-vector-node'
let pool: Partial<Env>

beforeAll(async () => {
  await seedTenant({ id: 'broken-vector' }, key)
  pool = poolOverrides([await startNode(node)], { healthIntervalMs: 600_000 })
})

afterAll(() => breakNodeVectors(node, null))

const embed = (input: string[]) =>
  postEmbeddings({ model: DEFAULT_MODEL, input }, { key, overrides: pool })

describe('a vector the model broke', () => {
  it("is refused by the client's index of the input, not the node call's", async () => {
    const cached = `broken vector: cached ${crypto.randomUUID()}`
    expect((await embed([cached])).status).toBe(200)

    // Only the second input is a miss: the node gets it as its input 0.
    await breakNodeVectors(node, 0)
    const response = await embed([cached, `broken vector: new ${crypto.randomUUID()}`])
    const { error } = (await response.json()) as {
      error: { code: string; param: string; input_index: number }
    }
    expect(response.status).toBe(422)
    expect(error).toMatchObject({ code: 'invalid_vector', param: 'input[1]', input_index: 1 })
  })
})
