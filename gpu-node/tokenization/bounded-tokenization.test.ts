/**
 * A long text is tokenized only as far as the model's maximum needs, and the ids are exactly
 * what tokenizing the whole text and cutting it gives: with the real Qwen3 tokenizer and the
 * default model's SentencePiece one, on texts built to stress a cut (long runs with no space,
 * CJK, mixed scripts, runs of spaces), truncated and refused alike.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureDefaultModel } from '../../scripts/default-model/prepare.ts'
import { ApiError } from '../../shared/errors.ts'
import { tinyQwen3Folder } from '../../test/support/tiny-qwen3-folder.ts'
import { openModel, type OpenedModel } from '../model/model-folder.ts'
import { TextTokenizer } from './text-tokenizer.ts'

// Long enough that only a prefix is tokenized at both maxima, short enough that the whole text
// can still be tokenized for the reference (@huggingface/tokenizers overflows its stack on a
// megabyte of SentencePiece text, which the node no longer asks of it).
const LONG_TEXTS: Record<string, string> = {
  words: 'many words and some more words, '.repeat(4_000),
  'no spaces': `${'-'.repeat(40_000)} then words ${'x'.repeat(20_000)}`,
  'CJK and mixed': '日本語のテキストと中文文本，以及 English words 混在。'.repeat(3_000),
  spaces: `word${' '.repeat(7)}`.repeat(6_000),
  emoji: '🙂🚀 emoji and 👨‍👩‍👧 families '.repeat(3_000),
}

let workDir: string
const models: Record<string, OpenedModel> = {}
let cleanUp: () => Promise<void>

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'bounded-tokenization-'))
  const qwen3 = await tinyQwen3Folder()
  models.qwen3 = openModel(qwen3.dir)
  models['use-lite-en'] = openModel(await ensureDefaultModel(workDir, { log: () => {} }))
  cleanUp = async () => {
    await qwen3.remove()
    await rm(workDir, { recursive: true, force: true })
  }
}, 120_000)
afterAll(() => cleanUp())

describe.each(['qwen3', 'use-lite-en'])('the %s tokenizer on long texts', (name) => {
  const tokenizers = (max: number) => {
    const { folder, manifest } = models[name]
    const bounded = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, {
      ...manifest,
      max_input_tokens: max,
    })
    return { bounded, full: new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig), manifest }
  }

  it.each(Object.keys(LONG_TEXTS))('gives the ids full tokenization gives, cut: %s', (kind) => {
    const text = LONG_TEXTS[kind]
    for (const max of [128, 2048]) {
      const { bounded, full, manifest } = tokenizers(max)
      const whole = full.encode(text).ids
      // What the node did before: tokenize everything, keep the specials, cut, end with EOS.
      const eos = manifest.eos_token_id === null ? [] : [manifest.eos_token_id]
      const bare = full.encode(text, { add_special_tokens: false }).ids
      const specials = whole.length - bare.length
      const expected =
        eos.length > 0
          ? [...bare.slice(0, max - 1), ...eos]
          : [...whole.slice(0, whole.length - bare.length - (specials > 0 ? 1 : 0)), ...bare].slice(
              0,
              max,
            )
      const ids = bounded.encode({ text }, true)
      expect(ids).toHaveLength(max)
      if (eos.length > 0) expect(ids).toEqual(expected)
      else expect(ids.slice(0, max - 1)).toEqual(expected.slice(0, max - 1))
    }
  })

  it('takes a 12 MB text, as the edge may send one, and keeps its first tokens', () => {
    const { bounded, full } = tokenizers(128)
    const huge = 'many words and some more words, '.repeat(400_000)
    expect(huge.length).toBeGreaterThan(12_000_000)
    const ids = bounded.encode({ text: huge }, true)
    expect(ids).toHaveLength(128)
    // Tokenizing all of it overflows the tokenizer's stack (SentencePiece) or takes seconds
    // (Qwen3); its first 127 tokens are those of its first few kilobytes.
    expect(ids.slice(0, 100)).toEqual(
      full.encode(huge.slice(0, 4000), { add_special_tokens: false }).ids.slice(0, 100),
    )
  })

  it('refuses a long text with 422 when asked not to cut it', () => {
    const { bounded } = tokenizers(512)
    expect(() => bounded.encode({ text: LONG_TEXTS.words }, false)).toThrow(ApiError)
    expect(() => bounded.encode({ text: LONG_TEXTS.words }, false)).toThrow(/over 512 tokens/)
  })
})
