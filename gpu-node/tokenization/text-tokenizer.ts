/**
 * Text (or caller-supplied token ids) → the exact ids the graph sees: the
 * tokenizer's own special tokens (BERT's `[CLS] … [SEP]`), cut to the model's
 * maximum, and the manifest's EOS last (Qwen3-Embedding pools the
 * `<|endoftext|>` position). Exactly one EOS ends every input: the current
 * Qwen3-Embedding `tokenizer.json` appends it through its post-processor,
 * older copies do not, so the node appends it only when the tokenizer does not. Truncation cuts the text, never the special
 * tokens around it: `@huggingface/tokenizers` has no truncation of its own, so
 * the text is tokenized without specials and they are put back around it.
 *
 * A Qwen3 query, `Instruct: {instruction}\nQuery:{text}` (shared/templates.ts), repeats its
 * instruction with every query; the ids of `Instruct: {instruction}\n` are kept (at most
 * MAX_INSTRUCTIONS, least recently used out) and only the rest is tokenized. That gives the
 * same ids: Qwen3's pre-tokenizer always ends a piece at a run of newlines, and BPE never
 * merges across pieces. Each instruction is checked once anyway (its ids plus a probe's
 * against the whole), and one whose split would change the ids is tokenized whole.
 *
 * One instance per thread: tokenizing runs in worker threads (tokenizer-pool.ts).
 */
import { Tokenizer } from '@huggingface/tokenizers'
import { LRUCache } from 'lru-cache'
import { ApiError } from '../../shared/errors.ts'
import type { ModelInput } from '../../shared/node-protocol.ts'
import type { ModelManifest } from '../model/manifest.ts'

const PROBE = 'probe'
/** The first prefix tried: 8 characters per token needed (English averages about 4). */
const CHARS_PER_TOKEN = 8
/** Tokens past the ones used that a prefix must hold, so its cut cannot reach them. */
const SLACK = 64
/** A Qwen3 query's instruction ends with the newline before this (shared/templates.ts). */
const QUERY_MARK = '\nQuery:'
const INSTRUCT_MARK = 'Instruct: '
/** Instructions whose ids are kept per tokenizer thread. */
const MAX_INSTRUCTIONS = 256
/**
 * Longer "instructions" are tokenized with their text: the cache is for the few instructions a
 * deployment uses, never a way to make the node tokenize a huge text whole (wholeTextIds stops
 * at what the model takes) or to hold one in memory.
 */
const MAX_INSTRUCTION_CHARS = 2048

export class TextTokenizer {
  private readonly tokenizer: Tokenizer
  readonly vocabSize: number
  /** Special tokens the tokenizer puts before and after a single text (none for Qwen3). */
  private readonly prefix: number[]
  private readonly suffix: number[]
  /** The manifest's EOS when the tokenizer's suffix does not already end with it. */
  private readonly eos: number[]
  /** `Instruct: …\n` → its ids, or null for one that must be tokenized with its query. */
  private readonly instructions: LRUCache<string, { ids: number[] | null }> | null

  constructor(
    tokenizerJson: object,
    tokenizerConfig: object,
    private readonly manifest: ModelManifest,
    /** `instructionCache: false` tokenizes every query whole (to measure what the cache saves). */
    options: { instructionCache?: boolean } = {},
  ) {
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig)
    let largestId = 0
    for (const id of this.tokenizer.get_vocab(true).values()) largestId = Math.max(largestId, id)
    this.vocabSize = largestId + 1
    ;[this.prefix, this.suffix] = this.specialsAround()
    const eos = manifest.eos_token_id
    this.eos = eos === null || this.suffix.at(-1) === eos ? [] : [eos]
    this.instructions =
      manifest.instruction_format === 'qwen3' && options.instructionCache !== false
        ? new LRUCache({ max: MAX_INSTRUCTIONS })
        : null
  }

  /** Whether the tokenizer's own post-processor ends every input with the manifest's EOS. */
  get tokenizerAppendsEos(): boolean {
    return this.manifest.eos_token_id !== null && this.eos.length === 0
  }

  /** Finds the specials by tokenizing one word with and without them. */
  private specialsAround(): [number[], number[]] {
    const bare = this.bareIds(PROBE)
    const full = this.tokenizer.encode(PROBE).ids
    for (let start = 0; start + bare.length <= full.length; start++) {
      if (bare.every((id, i) => full[start + i] === id))
        return [full.slice(0, start), full.slice(start + bare.length)]
    }
    throw new Error('the tokenizer changes the text itself when it adds special tokens')
  }

  /**
   * The ids for one input, at most `max_input_tokens` long.
   * @param truncate false: an input over the maximum is refused with 422 instead of cut.
   * @param index the input's position in its request, for the error about it
   */
  encode(input: ModelInput, truncate: boolean, index = 0): number[] {
    const eos = this.eos
    const extra = this.prefix.length + this.suffix.length + eos.length
    const budget = this.manifest.max_input_tokens - extra
    // Text is tokenized only as far as the maximum needs (one token past it tells "too long").
    const { ids, complete } =
      'text' in input
        ? this.textIds(input.text, budget + 1)
        : { ids: this.checkedIds(input.ids, index), complete: true }
    let body = ids
    // Token-id input gets the same specials as text, unless it already carries them; an input
    // that already ends in EOS keeps one.
    if ('ids' in input) {
      if (startsWith(body, this.prefix)) body = body.slice(this.prefix.length)
      if (endsWith(body, this.suffix)) body = body.slice(0, body.length - this.suffix.length)
    }
    const end = this.manifest.eos_token_id === null ? [] : [this.manifest.eos_token_id]
    if (complete && endsWith(body, end)) body = body.slice(0, body.length - end.length)
    if (body.length > budget) {
      if (!truncate) {
        const size = complete ? `${body.length + extra} tokens` : `over ${budget + extra} tokens`
        throw new ApiError(
          422,
          `this input is ${size}; the model takes at most ${this.manifest.max_input_tokens} (send truncate: true to cut it)`,
          { inputIndex: index, code: 'input_too_long' },
        )
      }
      body = body.slice(0, budget)
    }
    return [...this.prefix, ...body, ...this.suffix, ...eos]
  }

  /** The text's ids without specials (wholeTextIds), a Qwen3 query's instruction from the cache. */
  private textIds(text: string, needed: number): { ids: number[]; complete: boolean } {
    // Looked for only near the start: a 12 MB text costs no more than before.
    const split =
      this.instructions && text.startsWith(INSTRUCT_MARK)
        ? text.slice(0, MAX_INSTRUCTION_CHARS + QUERY_MARK.length).indexOf(QUERY_MARK)
        : -1
    if (split > 0) {
      const head = this.instructionIds(text.slice(0, split + 1))
      if (head !== null && head.length < needed) {
        const rest = this.wholeTextIds(text.slice(split + 1), needed - head.length)
        return { ids: [...head, ...rest.ids], complete: rest.complete }
      }
    }
    return this.wholeTextIds(text, needed)
  }

  /** The ids of `Instruct: …\n`, kept; null when its query must be tokenized with it. */
  private instructionIds(instruction: string): number[] | null {
    let entry = this.instructions!.get(instruction)
    if (!entry) {
      const ids = this.bareIds(instruction)
      const probe = 'Query:probe'
      const split = [...ids, ...this.bareIds(probe)]
      const whole = this.bareIds(instruction + probe)
      entry = {
        ids: split.length === whole.length && split.every((id, i) => id === whole[i]) ? ids : null,
      }
      // A copy: a slice of the request's text could keep all of that text alive in the cache.
      this.instructions!.set(Buffer.from(instruction).toString(), entry)
    }
    return entry.ids
  }

  /**
   * The text's ids without specials, or, for a text far longer than `needed` tokens, the ids of
   * a prefix that holds more than `needed` of them: a 12 MB text costs the node what its first
   * few thousand tokens cost, not seconds of tokenizing what truncation throws away. The prefix
   * grows ×4 from 8 characters a token until it holds `needed` + SLACK ids; a cut only changes
   * the last word or two it falls in, which the slack keeps far from the ids that are used
   * (tested against full tokenization with the Qwen3 and the default model's tokenizers).
   */
  private wholeTextIds(text: string, needed: number): { ids: number[]; complete: boolean } {
    for (let length = needed * CHARS_PER_TOKEN; length < text.length; length *= 4) {
      const ids = this.bareIds(text.slice(0, length))
      if (ids.length >= needed + SLACK) return { ids: ids.slice(0, needed), complete: false }
    }
    return { ids: this.bareIds(text), complete: true }
  }

  /** The tokenizer's ids for `text`, without its special tokens. */
  private bareIds(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids
  }

  private checkedIds(ids: number[], index: number): number[] {
    const bad = ids.findIndex((id) => id >= this.vocabSize)
    if (bad >= 0) {
      throw new ApiError(
        400,
        `token ${bad} of this input, id ${ids[bad]}, is outside the vocabulary (size ${this.vocabSize})`,
        { inputIndex: index, code: 'invalid_token_id' },
      )
    }
    return ids
  }
}

function startsWith(ids: number[], part: number[]): boolean {
  return part.length > 0 && ids.length >= part.length && part.every((id, i) => ids[i] === id)
}

function endsWith(ids: number[], part: number[]): boolean {
  const offset = ids.length - part.length
  return part.length > 0 && offset >= 0 && part.every((id, i) => ids[offset + i] === id)
}
