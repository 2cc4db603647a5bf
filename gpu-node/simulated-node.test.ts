/**
 * The node on a SIMULATED device (EXECUTION_PROVIDERS=sim:…): it says so in /info and in its
 * revision, its stand-in vectors are the same for the same text whichever request or batch
 * carried it, and under many clients its batching keeps the device busy. The device here is
 * the slowest preset (a 4B model on an A10G), so even this shared machine's host side keeps up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NodeInfo } from '../shared/node-protocol.ts'
import { decodeFrame } from '../shared/vector-codec.ts'
import { tinyQwen3Folder } from '../test/support/tiny-qwen3-folder.ts'
import { postEmbed, signedGet, textsBody } from '../scripts/dev/signed-request.ts'
import { startTestNode } from '../scripts/dev/node-in-process.ts'

let folder: Awaited<ReturnType<typeof tinyQwen3Folder>>
let node: Awaited<ReturnType<typeof startTestNode>>

beforeAll(async () => {
  folder = await tinyQwen3Folder()
  node = await startTestNode(folder.dir, {
    session: {
      executionProviders: [{ name: 'sim', preset: 'a10g-qwen3-4b-fp16', deviceId: 0 }],
    },
    vectorCacheBytes: 0,
  })
})
afterAll(async () => {
  await node?.close()
  await folder?.remove()
})

async function embed(texts: string[]): Promise<Float32Array[]> {
  const response = await postEmbed(node.app, textsBody(node.manifest.id, texts))
  expect(response.status, await response.clone().text()).toBe(200)
  return decodeFrame(await response.arrayBuffer()).vectors
}

/** A counter or histogram series of /metrics, summed over its labels. */
async function metric(name: string): Promise<number> {
  const text = await (await signedGet(node.app, '/metrics')).text()
  return text
    .split('\n')
    .filter((line) => new RegExp(`^${name}(\\{[^}]*\\})? `).test(line))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
}

describe('a node on a simulated device', () => {
  it('names the simulated device in /info and in its revision', async () => {
    const info = (await (await signedGet(node.app, '/info')).json()) as NodeInfo & {
      sessions: string[]
    }
    expect(info.simulated_device).toMatch(/^SIMULATED \(sim:a10g-qwen3-4b-fp16#0\)/)
    expect(info.execution_provider).toBe('sim')
    expect(info.models[0].revision).toMatch(/\+sim-a10g-qwen3-4b-fp16$/)
  })

  it('answers the same stand-in vector for a text, whichever request and batch carried it', async () => {
    const [alone] = await embed(['the same text'])
    const inBatch = await embed([
      'a much longer neighbour that pads the batch out',
      'the same text',
    ])
    expect([...inBatch[1]]).toEqual([...alone])
    expect(Math.abs(alone.reduce((sum, x, i) => sum + x * inBatch[0][i], 0))).toBeLessThan(0.5)
  })

  it('batches many clients together and keeps the device busy', async () => {
    const [batchesBefore, inputsBefore, busyBefore] = await Promise.all([
      metric('te_batch_next_size_count'),
      metric('te_batch_next_size_sum'),
      metric('te_device_busy_seconds'),
    ])
    const started = performance.now()
    // 64 clients, 6 single-text requests each, one at a time: bounded, and always a queue.
    await Promise.all(
      Array.from({ length: 64 }, async (_, client) => {
        for (let i = 0; i < 6; i++) await embed([`client ${client} question ${i}`])
      }),
    )
    const wallSeconds = (performance.now() - started) / 1000
    const batches = (await metric('te_batch_next_size_count')) - batchesBefore
    const inputs = (await metric('te_batch_next_size_sum')) - inputsBefore
    const busySeconds = (await metric('te_device_busy_seconds')) - busyBefore
    expect(inputs).toBe(64 * 6)
    // Batched: far fewer device calls than inputs.
    expect(inputs / batches).toBeGreaterThan(8)
    // A ratio, not a time: the device worked for most of the run.
    expect(busySeconds / wallSeconds).toBeGreaterThanOrEqual(0.5)
  })
})
