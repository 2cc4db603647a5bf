/**
 * A Zipf workload: query ranks drawn with P(rank k) ∝ 1 / k^s from a fixed
 * number of distinct queries, from a seeded generator so every run sends the
 * same sequence. Also what an unbounded cache would hit on a sequence (every
 * repeat), 1 - distinct / total; an LRU of a given size is ideal-lru.ts.
 */
import { mulberry32 } from '../../../shared/seeded-random.ts'

/** `count` ranks in 0 … distinct-1 (0 the most frequent), Zipf-distributed with exponent `s`. */
export function zipfSequence(distinct: number, s: number, count: number, seed = 1): number[] {
  const cdf = new Float64Array(distinct)
  let total = 0
  for (let k = 0; k < distinct; k++) cdf[k] = total += 1 / Math.pow(k + 1, s)
  const random = mulberry32(seed)
  return Array.from({ length: count }, () => {
    const target = random() * total
    let lo = 0
    let hi = distinct - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid] < target) lo = mid + 1
      else hi = mid
    }
    return lo
  })
}

/** Hits an unbounded cache would score on `sequence`: all but the first sight of each item. */
export function unboundedHitRatio(sequence: readonly number[]): number {
  return sequence.length === 0 ? 0 : 1 - new Set(sequence).size / sequence.length
}

const SUBJECTS = ['password', 'invoice', 'account', 'order', 'refund', 'shipment', 'plan', 'device']
const ACTIONS = ['reset', 'cancel', 'update', 'track', 'export', 'share', 'verify', 'restore']

/** The query text of a rank: distinct per rank and per run tag, of varied length. */
export function queryText(tag: string, rank: number): string {
  const subject = SUBJECTS[rank % SUBJECTS.length]
  const action = ACTIONS[Math.floor(rank / SUBJECTS.length) % ACTIONS.length]
  const detail = rank % 3 === 0 ? ' from the mobile app after the latest update' : ''
  return `How do I ${action} my ${subject}${detail}? (${tag} query ${rank})`
}
