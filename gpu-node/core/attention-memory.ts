/**
 * The second admission bound besides MAX_BATCH_TOKENS: attention memory.
 * A graph that builds attention from plain MatMul and Softmax (as the
 * project's generator and many exports do) holds heads × L² scores per row
 * while a layer runs, so memory grows with the square of the padded length:
 * at 32,768 tokens and 4 heads that is 17 GB in float32, on any batch size.
 * Batches are kept under MAX_ATTENTION_BYTES, a long input runs alone, and
 * one that alone would need more is refused before it can take the node down.
 * Graphs with onnxruntime's fused attention report no heads and are bounded
 * by tokens only.
 */
import { ApiError } from '../../shared/errors.ts'

export class AttentionBudget {
  /** Bytes per query-key pair of one row: heads × bytes per score; 0 when unbounded. */
  private readonly bytesPerPair: number

  /**
   * @param heads query heads whose scores the graph holds (null: fused attention, no bound)
   * @param bytesPerScore 4 for float32 graphs, 2 for float16
   */
  constructor(
    heads: number | null,
    bytesPerScore: number,
    readonly maxBytes: number,
  ) {
    this.bytesPerPair = heads === null ? 0 : heads * bytesPerScore
  }

  get bounded(): boolean {
    return this.bytesPerPair > 0
  }

  /** Score bytes of a batch of `rows` inputs padded to `length`. */
  bytes(rows: number, length: number): number {
    return rows * this.bytesPerPair * length * length
  }

  fits(rows: number, length: number): boolean {
    return this.bytes(rows, length) <= this.maxBytes
  }

  /** The longest input that fits alone, or Infinity when unbounded. */
  get longestInput(): number {
    return this.bounded ? Math.floor(Math.sqrt(this.maxBytes / this.bytesPerPair)) : Infinity
  }

  /** Refuses an input that cannot run even alone, naming the limit. */
  check(length: number, index: number): void {
    if (this.fits(1, length)) return
    throw new ApiError(
      413,
      `this input is ${length} tokens; its attention scores alone need ${gib(this.bytes(1, length))}, over this node's MAX_ATTENTION_BYTES of ${gib(this.maxBytes)} (at most ${this.longestInput} tokens fit); send a shorter input`,
      { inputIndex: index, code: 'input_exceeds_attention_memory' },
    )
  }
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`
}
