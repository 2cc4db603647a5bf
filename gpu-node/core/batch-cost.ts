/**
 * What a batch costs on this machine, learned from the batches it runs:
 * seconds ≈ per-run overhead + per-token cost × padded tokens (a least-squares
 * fit that forgets old batches slowly). The queue uses the ratio of the two,
 * the overhead "in tokens", to decide how much padding a bigger batch is
 * worth: on a CPU, where every padded token costs nearly as much as a real
 * one, it groups lengths tightly; on a GPU, where a run's fixed cost dwarfs
 * padding, it fills batches up.
 */

/**
 * Used until enough batches of different sizes have been seen to fit the line, and as the
 * least overhead ever assumed: on a busy machine batch durations are noisy, and a fit that
 * drifts towards zero would split work into many tiny runs.
 */
export const DEFAULT_OVERHEAD_TOKENS = 32
/** Weight kept by past batches at each new one: about the last 100 batches count. */
const DECAY = 0.99

export class BatchCostModel {
  private weight = 0
  private sumX = 0
  private sumY = 0
  private sumXX = 0
  private sumXY = 0

  constructor(private readonly maxOverheadTokens: number) {}

  observe(paddedTokens: number, seconds: number): void {
    this.weight = this.weight * DECAY + 1
    this.sumX = this.sumX * DECAY + paddedTokens
    this.sumY = this.sumY * DECAY + seconds
    this.sumXX = this.sumXX * DECAY + paddedTokens * paddedTokens
    this.sumXY = this.sumXY * DECAY + paddedTokens * seconds
  }

  /** The fixed cost of one run, expressed as padded tokens' worth of compute. */
  overheadTokens(): number {
    const spread = this.weight * this.sumXX - this.sumX * this.sumX
    // Too few batches, or all of one size: the line is not determined yet.
    if (this.weight < 3 || spread <= 1e-9 * this.weight * this.sumXX) return DEFAULT_OVERHEAD_TOKENS
    const perToken = (this.weight * this.sumXY - this.sumX * this.sumY) / spread
    const perRun = (this.sumY - perToken * this.sumX) / this.weight
    if (!(perToken > 0)) return this.maxOverheadTokens
    return Math.min(this.maxOverheadTokens, Math.max(DEFAULT_OVERHEAD_TOKENS, perRun / perToken))
  }
}
