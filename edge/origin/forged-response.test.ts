/**
 * Vectors altered between node and edge (a real node behind a gate that flips
 * one bit of each frame, as an attacker on the path would): the edge checks
 * the node's response signature before it believes a vector, so the client
 * gets a 503, another node serves when there is one, and no forged vector
 * reaches any cache tier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postEmbeddings, seedTenant, type EmbeddingsBody } from '../../test/support/edge-harness.ts'
import { startNode, tamperWithNode } from '../../test/support/node-control.ts'
import { poolOverrides } from '../../test/support/pool-overrides.ts'

const key = 'sk-test-forged-response-0001'
const MODEL = 'use-lite-en'
let forged: object
let both: object
let honest: object

beforeAll(async () => {
  await seedTenant({ id: 'forged-response' }, key)
  const [forgerUrl, honestUrl] = await Promise.all([startNode('forger'), startNode('honest')])
  await tamperWithNode('forger', true)
  forged = poolOverrides([forgerUrl])
  honest = poolOverrides([honestUrl])
  both = poolOverrides([forgerUrl, honestUrl])
})
afterAll(() => tamperWithNode('forger', false))

async function embed(input: string, overrides: object) {
  const response = await postEmbeddings({ model: MODEL, input }, { key, overrides })
  const text = await response.text()
  return { response, cache: response.headers.get('x-cache'), body: JSON.parse(text) }
}

describe('a vector frame altered on the way from the node', () => {
  it('is refused with a 503, and nothing of it is cached', async () => {
    const input = 'forged: a bit flipped on the way'
    const first = await embed(input, forged)
    expect(first.response.status).toBe(503)
    expect(first.body.error.code).toBe('origin_bad_response')
    // Asked again of an honest node: a miss, so no tier kept the forged vector.
    const clean = await embed(input, honest)
    expect(clean.response.status).toBe(200)
    expect(clean.cache).toBe('miss')
    expect((await embed(input, honest)).cache).toBe('hit')
  })

  it('counts as the node failing: another node computes the input', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => embed(`forged: spread over two nodes ${i}`, both)),
    )
    expect(answers.map((a) => a.response.status)).toEqual(Array(6).fill(200))
    const again = await embed('forged: spread over two nodes 0', honest)
    expect((again.body as EmbeddingsBody).data[0].embedding).toEqual(
      (answers[0].body as EmbeddingsBody).data[0].embedding,
    )
  })
})
