/**
 * A small BERT-style WordPiece `tokenizer.json`, built offline: lower-cased
 * BERT normalization and pre-tokenization, `[CLS] … [SEP]` added around every
 * text with token type 0, unknown characters → `[UNK]`. Every lower-case ASCII
 * word can be spelled from its pieces (each character has a word-initial and a
 * `##` continuation piece), and common words are whole pieces, so ordinary
 * English text tokenizes without `[UNK]`.
 */

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const
export const PAD_ID = 0

const CHARACTERS = 'abcdefghijklmnopqrstuvwxyz0123456789.,!?;:\'"()-_/&%$#@*+=<>[]{}'
const WORDS = `the of and to a in is it that for on was with as he be at by this had not are but
from or have an they which one you were all we her she there would their will when who him
been has more if no out do so can what up said about other into than its time only could new
them man some these then two first may any like now my such make over our even most me state
after also made many did must before back see through way where get much go well your know
should down work year because come people just say each those take day good how long little
use very great world own under last right life while might between never house part cat dog
sits sitting mat rug kitten stock market markets fell sharply today coffee brew query document
search passage answer capital france quick brown fox jumps lazy embedding model text short
longer neighbour padded against sentence batch`.split(/\s+/)
const SUFFIXES = ['s', 'es', 'ed', 'ing', 'ly', 'er', 'est', 'ion', 'ness']

/** The vocabulary, in id order: specials, whole words, characters, continuation pieces. */
export function wordPieceVocab(): string[] {
  const pieces = new Set<string>(SPECIAL_TOKENS)
  for (const word of WORDS) pieces.add(word)
  for (const char of CHARACTERS) pieces.add(char)
  for (const char of CHARACTERS) pieces.add(`##${char}`)
  for (const suffix of SUFFIXES) pieces.add(`##${suffix}`)
  return [...pieces]
}

/** The `tokenizer.json` object (Hugging Face tokenizers format). */
export function buildTokenizerJson(vocab: string[]): Record<string, unknown> {
  const ids = Object.fromEntries(vocab.map((piece, id) => [piece, id]))
  const special = (token: string) => ({ id: token, ids: [ids[token]], tokens: [token] })
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: ids[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  }
}
