/**
 * One request's MAX_REQUEST_TOKENS, shared out among its node calls as they
 * go, so that all of them together never compute more than the limit, however
 * the request is split into parts and over nodes, and although a text's tokens
 * are unknown until a node has counted them.
 *
 * A call may have: the limit, less the real tokens of the calls answered, less
 * what the calls in flight were allowed, less the least the inputs not yet
 * sent can have (edge/embeddings/token-bounds.ts). Its node refuses it (400)
 * past that, before any inference; when that leaves the call less than its own
 * inputs' least, the request is refused here, before the call. Inputs answered
 * from a cache count at their least.
 */
import { tooManyTokens } from '../../shared/errors.ts'
import type { PoolItem } from './embed-on-pool.ts'

export interface LedgerCall {
  /** What the call's node may compute, at most (EmbedRequest.max_tokens). */
  maxTokens: number
  /** The call was answered with these token counts. */
  close(tokenCounts: number[]): void
  /** The call failed: its inputs go back to waiting (another node may take them). */
  abandon(): void
}

export class TokenLedger {
  private answered = 0
  private allowedInFlight = 0
  private unsentLeast: number

  constructor(
    private readonly max: number,
    /** The least all the request's inputs together can have. */
    least: number,
    private readonly mostOf: (item: PoolItem) => number,
    private readonly leastOf: (item: PoolItem) => number,
  ) {
    this.unsentLeast = least
  }

  /** Opens a call of `items`; throws the request's 400 if the limit cannot take them. */
  open(items: PoolItem[]): LedgerCall {
    const least = items.reduce((sum, item) => sum + this.leastOf(item), 0)
    const most = items.reduce((sum, item) => sum + this.mostOf(item), 0)
    const left = this.max - this.answered - this.allowedInFlight - (this.unsentLeast - least)
    if (left < least) throw tooManyTokens(this.max - left + least, this.max)
    const allowed = Math.min(most, left)
    this.unsentLeast -= least
    this.allowedInFlight += allowed
    let open = true
    const end = () => {
      if (!open) return false
      open = false
      this.allowedInFlight -= allowed
      return true
    }
    return {
      maxTokens: allowed,
      close: (tokenCounts) => {
        if (end()) this.answered += tokenCounts.reduce((sum, n) => sum + n, 0)
      },
      abandon: () => {
        if (end()) this.unsentLeast += least
      },
    }
  }
}
