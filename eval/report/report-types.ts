/** What `npm run eval` writes to report.json, per endpoint evaluated. */
import type { Provenance } from '../../scripts/bench/provenance.ts'
import type { Target } from '../client.ts'
import type { CrossLingualResult } from '../checks/cross-lingual.ts'
import type { InstructionResult } from '../checks/instructions.ts'
import type { MatryoshkaResult } from '../checks/matryoshka.ts'
import type { SanityResult } from '../checks/sanity.ts'
import type { SimilarityResult } from '../checks/similarity.ts'

export interface TargetReport {
  target: Omit<Target, 'apiKey'>
  dimensions: number
  texts_embedded: number
  seconds: number
  checks: {
    similarity: SimilarityResult
    crossLingual: CrossLingualResult
    instructions: InstructionResult
    matryoshka: MatryoshkaResult
    sanity: SanityResult
  }
}

export interface EvalReport {
  /** When, and at which commit, the figures were measured. */
  provenance: Provenance
  targets: TargetReport[]
}
