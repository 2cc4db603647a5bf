/**
 * Text (or caller-supplied token ids) → the exact ids the graph sees:
 * the tokenizer's own special tokens, cut to the model's maximum, and the
 * manifest's EOS appended last (Qwen3-Embedding pools the `<|endoftext|>`
 * position, so truncation must never drop it).
 */
import { Tokenizer } from '@huggingface/tokenizers'
import { ApiError } from '../../shared/errors.ts'
import type { ModelInput } from '../../shared/node-protocol.ts'
import type { ModelManifest } from '../model/manifest.ts'

export class TextTokenizer {
  private readonly tokenizer: Tokenizer
  readonly vocabSize: number

  constructor(
    tokenizerJson: object,
    tokenizerConfig: object,
    private readonly manifest: ModelManifest,
  ) {
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig)
    let largestId = 0
    for (const id of this.tokenizer.get_vocab(true).values()) largestId = Math.max(largestId, id)
    this.vocabSize = largestId + 1
  }

  /**
   * The ids for one input, at most `max_input_tokens` long.
   * @param truncate false: an input over the maximum is refused with 422 instead of cut.
   */
  encode(input: ModelInput, truncate: boolean, param = 'input'): number[] {
    let ids: number[]
    if ('text' in input) {
      ids = this.tokenizer.encode(input.text).ids
    } else {
      const bad = input.ids.findIndex((id) => id >= this.vocabSize)
      if (bad >= 0) {
        throw new ApiError(
          400,
          `${param}[${bad}]: token id ${input.ids[bad]} is outside the vocabulary (size ${this.vocabSize})`,
          {
            param,
            code: 'invalid_token_id',
          },
        )
      }
      ids = input.ids
    }
    const eos = this.manifest.eos_token_id
    if (eos !== null && ids.at(-1) === eos) ids = ids.slice(0, -1)
    const budget = this.manifest.max_input_tokens - (eos === null ? 0 : 1)
    if (ids.length > budget) {
      if (!truncate) {
        throw new ApiError(
          422,
          `${param} is ${ids.length + (eos === null ? 0 : 1)} tokens; the model takes at most ${this.manifest.max_input_tokens} (send truncate: true to cut it)`,
          { param, code: 'input_too_long' },
        )
      }
      ids = ids.slice(0, budget)
    }
    return eos === null ? ids : [...ids, eos]
  }
}
