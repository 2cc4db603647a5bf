import { Tokenizer } from '@huggingface/tokenizers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiError } from '../../shared/errors.ts'
import { tinyQwen3Folder } from '../../test/support/tiny-qwen3-folder.ts'
import { openModel } from '../model/model-folder.ts'
import { APPEND_END_OF_TEXT } from '../../scripts/tiny-qwen3/hf-layout.ts'
import { TextTokenizer } from './text-tokenizer.ts'

const EOS = 151643
let folder: ReturnType<typeof openModel>['folder']
let manifest: ReturnType<typeof openModel>['manifest']
let remove: () => Promise<void>
let plain: Tokenizer

beforeAll(async () => {
  const generated = await tinyQwen3Folder()
  remove = generated.remove
  ;({ folder, manifest } = openModel(generated.dir))
  plain = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig)
})
afterAll(() => remove())

const tokenizerWithMax = (max: number) =>
  new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, {
    ...manifest,
    max_input_tokens: max,
  })

describe('TextTokenizer (Qwen3)', () => {
  it("ends every input with <|endoftext|> and otherwise gives the tokenizer's own ids", () => {
    const text = 'Instruct: find it\nQuery:where is the capital of France?'
    const ids = tokenizerWithMax(8192).encode({ text }, true)
    expect(ids.at(-1)).toBe(EOS)
    expect(ids.slice(0, -1)).toEqual(plain.encode(text).ids)
  })

  it("tokenizes a query's instruction once, and gives exactly the ids of tokenizing it whole", () => {
    const instructions = [
      'Given a web search query, retrieve relevant passages that answer the query',
      'Represent the 日本語 sentence for retrieval:',
      'trailing spaces   ',
      'ends with a newline\n',
      'digits 123, punctuation!? and an emoji 😀',
      '',
      'a newline\ninside, and a second\r\nkind',
      "café, naïve, it's",
      ' leading space',
      'an instruction that says\nQuery: in the middle',
    ]
    const queries = [
      'where is the capital of France?',
      ' a leading space',
      '\na newline first',
      '123 numbers first',
      'Ünïcode and 中文',
      '',
      "'s a contraction",
      'words '.repeat(400),
    ]
    for (const max of [8192, 24]) {
      const cached = tokenizerWithMax(max)
      const whole = new TextTokenizer(
        folder.tokenizerJson,
        folder.tokenizerConfig,
        { ...manifest, max_input_tokens: max },
        { instructionCache: false },
      )
      // Twice: the second pass takes every instruction from the cache.
      for (let pass = 0; pass < 2; pass++)
        for (const instruction of instructions)
          for (const query of queries) {
            const text = `Instruct: ${instruction}\nQuery:${query}`
            expect(cached.encode({ text }, true), JSON.stringify(text)).toEqual(
              whole.encode({ text }, true),
            )
          }
    }
    // A huge text dressed as an instruction is tokenized as a text: only as far as the model takes.
    const huge = `Instruct: ${'x '.repeat(3_000_000)}\nQuery:q`
    const capped = tokenizerWithMax(128).encode({ text: huge }, true)
    expect(capped).toHaveLength(128)
    expect(capped.slice(0, -1)).toEqual(
      plain.encode(huge.slice(0, 2000), { add_special_tokens: false }).ids.slice(0, 127),
    )
    // And both are the tokenizer's own ids.
    const text = 'Instruct: Given a question, find the answer\nQuery:what is rope scaling?'
    expect(tokenizerWithMax(8192).encode({ text }, true).slice(0, -1)).toEqual(
      plain.encode(text).ids,
    )
  })

  it('keeps the final <|endoftext|> when it truncates', () => {
    const ids = tokenizerWithMax(16).encode({ text: 'many words '.repeat(100) }, true)
    expect(ids).toHaveLength(16)
    expect(ids.at(-1)).toBe(EOS)
  })

  it('refuses an over-long input with 422 when truncation is off', () => {
    const encode = () => tokenizerWithMax(16).encode({ text: 'many words '.repeat(100) }, false, 3)
    expect(encode).toThrow(ApiError)
    try {
      encode()
    } catch (err) {
      expect((err as ApiError).status).toBe(422)
      expect((err as ApiError).param).toBe('input[3]')
      expect((err as ApiError).toBody().error).toMatchObject({ input_index: 3 })
    }
  })

  it('passes token ids through, appending EOS once, and refuses ids outside the vocabulary', () => {
    const tokenizer = tokenizerWithMax(8192)
    expect(tokenizer.encode({ ids: [9707, 1879] }, true)).toEqual([9707, 1879, EOS])
    expect(tokenizer.encode({ ids: [9707, EOS] }, true)).toEqual([9707, EOS])
    expect(() => tokenizer.encode({ ids: [tokenizer.vocabSize] }, true)).toThrow(
      /outside the vocabulary/,
    )
  })
})

describe('TextTokenizer with the current Qwen3-Embedding tokenizer.json (it appends EOS itself)', () => {
  const appending = (max: number) =>
    new TextTokenizer(
      { ...folder.tokenizerJson, post_processor: APPEND_END_OF_TEXT },
      folder.tokenizerConfig,
      { ...manifest, max_input_tokens: max },
    )
  const endTokens = (ids: number[]) => ids.filter((id) => id === EOS).length

  it('ends every input with exactly one <|endoftext|>, truncated or not', () => {
    for (const [text, max] of [
      ['Hello world', 8192],
      ['many words '.repeat(100), 16],
      ['already ends with it<|endoftext|>', 8192],
    ] as const) {
      const ids = appending(max).encode({ text }, true)
      expect(ids.at(-1)).toBe(EOS)
      expect(endTokens(ids)).toBe(1)
    }
    expect(appending(16).encode({ text: 'many words '.repeat(100) }, true)).toHaveLength(16)
  })

  it('gives the same ids as an older tokenizer.json, to which the node appends EOS', () => {
    const text = 'Instruct: find it\nQuery:where is the capital of France?'
    expect(appending(8192).encode({ text }, true)).toEqual(
      tokenizerWithMax(8192).encode({ text }, true),
    )
    expect(appending(8192).tokenizerAppendsEos).toBe(true)
    expect(tokenizerWithMax(8192).tokenizerAppendsEos).toBe(false)
    expect(appending(8192).encode({ ids: [9707, EOS] }, true)).toEqual([9707, EOS])
  })
})
