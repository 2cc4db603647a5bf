/**
 * Check 1, similarity: graded pairs (2 paraphrase, 1 related, 0 unrelated) per language. A
 * language passes when cosine ranks the pairs like their grades (Spearman ≥ 0.5) and paraphrases
 * score clearly above unrelated pairs (margin ≥ 0.05).
 */
import type { EmbeddingClient } from '../client.ts'
import { similarityData } from '../data.ts'
import { cosine, mean, spearman } from '../metrics.ts'

export const MIN_SPEARMAN = 0.5
export const MIN_MARGIN = 0.05

export interface LanguageSimilarity {
  spearman: number
  /** Mean cosine of paraphrases minus that of unrelated pairs. */
  margin: number
  mean_cosine: { paraphrase: number; related: number; unrelated: number }
  passed: boolean
}

export interface SimilarityResult {
  languages: Record<string, LanguageSimilarity>
  passed: boolean
}

export async function checkSimilarity(client: EmbeddingClient): Promise<SimilarityResult> {
  const languages: Record<string, LanguageSimilarity> = {}
  for (const [language, pairs] of Object.entries(similarityData().languages)) {
    const vectors = await client.embed(pairs.flatMap((pair) => [pair.a, pair.b]))
    const cosines = pairs.map((_, i) => cosine(vectors[2 * i], vectors[2 * i + 1]))
    const byGrade = (grade: number) => mean(cosines.filter((_, i) => pairs[i].grade === grade))
    const rho = spearman(
      cosines,
      pairs.map((pair) => pair.grade),
    )
    const margin = byGrade(2) - byGrade(0)
    languages[language] = {
      spearman: rho,
      margin,
      mean_cosine: { paraphrase: byGrade(2), related: byGrade(1), unrelated: byGrade(0) },
      passed: rho >= MIN_SPEARMAN && margin >= MIN_MARGIN,
    }
  }
  return { languages, passed: Object.values(languages).every((l) => l.passed) }
}
