/**
 * Token-id input through the official `openai` client against `npm start`:
 * `input: [[...ids]]` reaches the node without tokenization, lands on the
 * vector of the text the ids came from, and is cached on the ids.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import OpenAI from 'openai'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { cosine } from '../../shared/cosine.ts'

const MODEL = 'use-lite-en'
const client = new OpenAI({
  apiKey: inject('devKey'),
  baseURL: `${inject('edgeUrl')}/v1`,
  maxRetries: 0,
})
let tokenizer: Tokenizer

beforeAll(async () => {
  // The tokenizer npm start's node serves (the default model's folder).
  const file = path.join(REPO_ROOT, 'models', MODEL, 'tokenizer.json')
  tokenizer = new Tokenizer(JSON.parse(await readFile(file, 'utf8')), {})
})

const idsOf = (text: string) => tokenizer.encode(text, { add_special_tokens: false }).ids

describe('token-id input through the openai client', () => {
  it('embeds int[][] to the same vectors as the texts, in order', async () => {
    const texts = ['e2e ids: a quiet harbour at dawn', 'e2e ids: quarterly revenue grew']
    const fromText = await client.embeddings.create({ model: MODEL, input: texts })
    const fromIds = await client.embeddings.create({ model: MODEL, input: texts.map(idsOf) })
    expect(fromIds.data.map((d) => d.index)).toEqual([0, 1])
    fromIds.data.forEach((item, i) => {
      expect(item.embedding).toHaveLength(512)
      expect(cosine(item.embedding, fromText.data[i].embedding)).toBeGreaterThan(0.9999)
    })
    expect(fromIds.usage.prompt_tokens).toBe(fromText.usage.prompt_tokens)
  })

  it('caches on the ids: int[] after int[][] of the same ids is a hit', async () => {
    const ids = idsOf('e2e ids: the cache keys on these ids')
    const first = await client.embeddings.create({ model: MODEL, input: [ids] }).withResponse()
    const again = await client.embeddings.create({ model: MODEL, input: ids }).withResponse()
    expect(first.response.headers.get('x-cache')).toBe('miss')
    expect(again.response.headers.get('x-cache')).toBe('hit')
    expect(again.data.data[0].embedding).toEqual(first.data.data[0].embedding)
  })
})
