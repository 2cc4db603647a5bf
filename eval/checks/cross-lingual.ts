/**
 * Check 2, cross-lingual: each non-English sentence retrieves its English twin among all English
 * sentences. A language passes at top-1 accuracy ≥ 0.8; the check passes when every language
 * does. Also: the mean cosine of translation pairs against non-pairs.
 */
import type { EmbeddingClient } from '../client.ts'
import { parallelData } from '../data.ts'
import { cosine, mean } from '../metrics.ts'

export const MIN_ACCURACY = 0.8

export interface CrossLingualResult {
  /** Per non-English language: top-1 accuracy of retrieving the English twin. */
  accuracy: Record<string, number>
  mean_cosine: { pairs: number; non_pairs: number }
  passed: boolean
}

export async function checkCrossLingual(client: EmbeddingClient): Promise<CrossLingualResult> {
  const { languages, sentences } = parallelData()
  const english = await client.embed(sentences.map((s) => s.en))
  const accuracy: Record<string, number> = {}
  const pairCosines: number[] = []
  const nonPairCosines: number[] = []
  for (const language of languages.filter((l) => l !== 'en')) {
    const vectors = await client.embed(sentences.map((s) => s[language]))
    let correct = 0
    vectors.forEach((vector, i) => {
      const scores = english.map((en) => cosine(vector, en))
      const best = scores.indexOf(Math.max(...scores))
      if (best === i) correct++
      pairCosines.push(scores[i])
      nonPairCosines.push(mean(scores.filter((_, j) => j !== i)))
    })
    accuracy[language] = correct / vectors.length
  }
  return {
    accuracy,
    mean_cosine: { pairs: mean(pairCosines), non_pairs: mean(nonPairCosines) },
    passed: Object.values(accuracy).every((a) => a >= MIN_ACCURACY),
  }
}
