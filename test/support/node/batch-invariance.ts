/**
 * Embeds one text twice through a node's real queue: alone in its batch, then
 * in one batch with a shorter and a longer neighbour (a gated session holds
 * the queue still while they line up, so they are sure to share the batch).
 *
 * The queue puts them in one batch only if that costs less than splitting them
 * (queue.ts), and what a run costs is learned from timings (batch-cost.ts). Give
 * neighbours within 16 tokens of each other: one batch is then the cheapest
 * whatever overhead was learned, since it is never under 32 tokens. Neighbours far
 * apart in length were split on a busy machine.
 */
import { expect, vi } from 'vitest'
import { decodeFrame } from '../../../shared/vector-codec.ts'
import type { LoadedNode } from '../../../gpu-node/load-node.ts'
import type { GatedBackend } from './gated-backend.ts'
import { postEmbed, textsBody } from '../../../scripts/dev/signed-request.ts'

export async function aloneAndBatched(
  node: LoadedNode,
  gate: GatedBackend,
  target: string,
  neighbours: { shorter: string; longer: string },
) {
  const embed = async (text: string) => {
    const response = await postEmbed(node.app, textsBody(node.manifest.id, [text]))
    expect(response.status).toBe(200)
    return decodeFrame(await response.arrayBuffer())
  }
  const before = gate.batches.length
  const alone = await embed(target)
  expect(gate.batches.slice(before).map((batch) => batch.length)).toEqual([1])

  gate.hold()
  const holder = embed('holding the session while the batch lines up')
  await gate.reached(before + 2)
  const batched = [neighbours.shorter, target, neighbours.longer].map(embed)
  // Tokenizing the three takes milliseconds, but a machine busy with the rest of the suite
  // has been seen to take over 5 s: wait as long as the test may, and say so if they never
  // lined up.
  await vi.waitFor(() => expect(node.scheduler.queuedInputs).toBeGreaterThanOrEqual(3), {
    timeout: 60_000,
    interval: 10,
  })
  gate.open()
  const [, frames] = await Promise.all([holder, Promise.all(batched)])
  const lengths = gate.batches.at(-1)!.map((row) => row.length)
  // The three shared one batch, the target neither the shortest nor the longest in it.
  expect(lengths).toHaveLength(3)
  expect(Math.min(...lengths)).toBeLessThan(frames[1].tokenCounts[0])
  expect(Math.max(...lengths)).toBeGreaterThan(frames[1].tokenCounts[0])
  return { alone: alone.vectors[0], batched: frames[1].vectors[0] }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]))
  return max
}
