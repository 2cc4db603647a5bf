/**
 * The node keys its own vector cache by the digests the edge sends (`input_digests`: the ends
 * of the edge's cache keys), so no input is hashed on both tiers; without them it hashes each
 * input itself. Through the real node (tiny Qwen3), its answers read by their `x-node-cache`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inputDigest } from '../../shared/cache-key.ts'
import { tinyQwen3Folder } from '../../test/support/tiny-qwen3-folder.ts'
import type { LoadedNode } from '../load-node.ts'
import { postEmbed, textsBody } from '../../scripts/dev/signed-request.ts'
import { startTestNode } from '../../scripts/dev/node-in-process.ts'

let node: LoadedNode
let cleanUp: () => Promise<void>

beforeAll(async () => {
  const folder = await tinyQwen3Folder()
  node = await startTestNode(folder.dir)
  cleanUp = async () => {
    await node.close()
    await folder.remove()
  }
})
afterAll(() => cleanUp())

const embed = async (text: string, digests?: string[]) => {
  const response = await postEmbed(node.app, {
    ...textsBody(node.manifest.id, [text]),
    ...(digests ? { input_digests: digests } : {}),
  })
  return { status: response.status, cache: response.headers.get('x-node-cache') }
}

describe("the node's cache keys", () => {
  it('come from the digests the edge sends, which the node does not recompute', async () => {
    const text = 'digests: a text the edge hashed already'
    const digest = await inputDigest({ text })
    expect(await embed(text, [digest])).toEqual({ status: 200, cache: 'miss' })
    expect(await embed(text, [digest])).toEqual({ status: 200, cache: 'hit' })
    // Without digests the node hashes the text itself, to the same key.
    expect(await embed(text)).toEqual({ status: 200, cache: 'hit' })
    // The same text under another digest is another entry: the node took the digest as given.
    const other = 'f'.repeat(64)
    expect(await embed(text, [other])).toEqual({ status: 200, cache: 'miss' })
  })

  it('refuse a digest list that does not match the inputs', async () => {
    expect((await embed('digests: two for one', ['a'.repeat(64), 'b'.repeat(64)])).status).toBe(400)
    expect((await embed('digests: not hex', ['not-a-digest'])).status).toBe(400)
  })
})
