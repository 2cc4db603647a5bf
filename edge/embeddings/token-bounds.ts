/**
 * What the edge can know of a request's tokens before any node has tokenized
 * it: bounds, from the final inputs alone.
 *
 * Upper: every tokenizer the node serves (byte-level BPE as Qwen3 has, SentencePiece, WordPiece)
 * gives at most one token per UTF-8 byte (SentencePiece's byte fallback: one per byte, at
 * worst), plus a word-start marker SentencePiece may put in front (▁), plus the special
 * tokens it adds (two at most);
 * with `truncate`, never more than the model's maximum. The tenant's token budget is charged
 * this much at admission and settled to the real count after (edge/middleware/tenant-limits.ts).
 *
 * Lower: token ids are counted exactly; a text has at least one token. A request whose lower
 * bound already passes MAX_REQUEST_TOKENS is refused before anything is sent to a node.
 */
import type { ModelInfo, ModelInput } from '../../shared/node-protocol.ts'

/**
 * Tokens an input may have beyond one per byte: special tokens ([CLS] + [SEP], or
 * <|endoftext|>: two at most) and a prepended word-start marker (▁).
 */
const MAX_ADDED_TOKENS = 3

/** UTF-8 bytes of a string, without encoding it (a 16 MB text is not copied to be measured). */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4 // a surrogate pair: one code point of four bytes
      i++
    } else bytes += 3
  }
  return bytes
}

export function tokenUpperBound(input: ModelInput, model: ModelInfo, truncate: boolean): number {
  const bound =
    'ids' in input ? input.ids.length + MAX_ADDED_TOKENS : utf8Length(input.text) + MAX_ADDED_TOKENS
  return truncate ? Math.min(bound, model.max_input_tokens) : bound
}

export function tokenLowerBound(input: ModelInput, model: ModelInfo, truncate: boolean): number {
  const bound = 'ids' in input ? input.ids.length : 1
  return truncate ? Math.min(bound, model.max_input_tokens) : bound
}
