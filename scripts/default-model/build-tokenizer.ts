/**
 * Builds a HuggingFace `tokenizer.json` (Unigram) from USE-lite's `vocab.json`, reproducing the
 * tokenizer of `@energetic-ai/embeddings` as closely as the `@huggingface/tokenizers` model allows.
 *
 * The original: NFKC, then "▁" before the text and in place of every space (U+0020 only; tabs and
 * newlines stay as they are), then one Viterbi pass over the whole string with no pre-splitting.
 * Hence the normalizer NFKC → Prepend("▁") → Replace(" ", "▁"), and no pre-tokenizer.
 *
 * What the Unigram model cannot reproduce (ids matched on 99.4% of 24,755 distinct lines of
 * Markdown; every mismatch there was one of the first two):
 * - exact ties between orders of the same pieces ("eee" → "ee"+"e" vs "e"+"ee", runs of "-", hex
 *   hashes): the original keeps the shortest last piece, the Unigram model the longest;
 * - text starting with ":": the original treats a best score of exactly 0 as "none yet", and the
 *   piece "▁:" scores 0 (null in vocab.json), so it splits "▁" + ":";
 * - unknown characters (id 0, runs fused into one): the original scores them 0, the Unigram model
 *   far below any piece, so the two could differ where a longer piece also covers the character
 *   (none seen in that sample, nor on a set of non-Latin scripts and emoji).
 */
import { readFile } from 'node:fs/promises'

/** `[piece, log-probability]` as stored in `vocab.json`; a few scores there are `null`. */
export type VocabEntry = [string, number | null]

/** The original keeps its first six ids out of matching: unknown, <s>, </s> and three spares. */
export const RESERVED_IDS = 6
export const UNKNOWN_ID = 0

const SPACE_MARK = '\u2581'

export async function readVocab(path: string): Promise<VocabEntry[]> {
  const vocab = JSON.parse(await readFile(path, 'utf8')) as VocabEntry[]
  if (!Array.isArray(vocab) || vocab.length <= RESERVED_IDS) {
    throw new Error(`${path}: expected an array of [piece, score] entries`)
  }
  return vocab
}

/** Returns the `tokenizer.json` object; serialize it with `JSON.stringify`. */
export function buildTokenizerJson(
  vocab: VocabEntry[],
  maxLength: number,
): Record<string, unknown> {
  const pieces = vocab.map(([piece, score], id): [string, number] => [
    id > UNKNOWN_ID && id < RESERVED_IDS ? unmatchable(piece) : piece,
    // The original adds scores with `+`, where null counts as 0; write the 0 it amounts to.
    score ?? 0,
  ])
  return {
    version: '1.0',
    truncation: { direction: 'Right', max_length: maxLength, strategy: 'LongestFirst', stride: 0 },
    padding: null,
    added_tokens: [],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Prepend', prepend: SPACE_MARK },
        { type: 'Replace', pattern: { String: ' ' }, content: SPACE_MARK },
      ],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: SPACE_MARK, prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: UNKNOWN_ID, vocab: pieces, byte_fallback: false },
  }
}

/**
 * The original never matches its reserved pieces ("<s>", ...) against text, while a Unigram model
 * matches every vocabulary entry. A piece containing a plain space can never match, because the
 * normalizer has replaced every space by then; the id keeps its slot and a readable name.
 */
function unmatchable(piece: string): string {
  return `${piece} (reserved)`
}
