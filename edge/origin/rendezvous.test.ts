import { describe, expect, it } from 'vitest'
import { hash32, rendezvousOrder } from './rendezvous.ts'

const node = (url: string) => ({ url, seed: hash32(url) })
const nodes = ['http://10.0.0.1:8081', 'http://10.0.0.2:8081', 'http://10.0.0.3:8081'].map(node)
const keys = Array.from({ length: 3000 }, (_, i) => `v1:t-acme:use-lite-en@r1:${i.toString(16)}`)
const owner = (pool: typeof nodes, key: string) => rendezvousOrder(pool, key)[0].url

describe('rendezvous hashing', () => {
  it('sends a key to the same node every time, whatever order the nodes are listed in', () => {
    for (const key of keys.slice(0, 200)) {
      expect(owner(nodes, key)).toBe(owner([...nodes].reverse(), key))
    }
  })

  it('spreads keys evenly over the nodes', () => {
    const counts = new Map<string, number>()
    for (const key of keys) counts.set(owner(nodes, key), (counts.get(owner(nodes, key)) ?? 0) + 1)
    for (const { url } of nodes) {
      expect(counts.get(url)! / keys.length).toBeGreaterThan(0.28)
      expect(counts.get(url)! / keys.length).toBeLessThan(0.39)
    }
  })

  it("moves only the leaving node's keys, each to its own second choice", () => {
    const remaining = nodes.filter((n) => n.url !== nodes[1].url)
    for (const key of keys) {
      const before = rendezvousOrder(nodes, key)
      const after = owner(remaining, key)
      if (before[0].url !== nodes[1].url) expect(after).toBe(before[0].url)
      else expect(after).toBe(before[1].url)
    }
  })
})
