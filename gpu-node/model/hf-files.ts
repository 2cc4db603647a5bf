/**
 * The config files a Hugging Face model folder carries, read as far as the
 * node needs them: transformers' `config.json` and `tokenizer_config.json`,
 * and the sentence-transformers files (`modules.json`, the pooling module's
 * `config.json`, `config_sentence_transformers.json`,
 * `sentence_bert_config.json`). Every file is optional here; what a missing
 * file means is decided in derive-manifest.ts. Unknown fields are kept out,
 * not refused: published configs carry many the node has no use for.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import * as z from '../../shared/zod-mini.ts'

const count = z.int().check(z.positive())

const ConfigSchema = z.object({
  model_type: z.optional(z.string()),
  architectures: z.optional(z.array(z.string())),
  hidden_size: z.optional(count),
  /** BERT-family and Qwen3 configs name the same things the same way. */
  num_attention_heads: z.optional(count),
  num_key_value_heads: z.optional(count),
  max_position_embeddings: z.optional(count),
  eos_token_id: z.nullish(z.union([z.int(), z.array(z.int())])),
  pad_token_id: z.nullish(z.int()),
})

/** `"<|endoftext|>"` or, as transformers also writes it, `{ "content": "<|endoftext|>", … }`. */
const TokenSchema = z.pipe(
  z.union([z.string(), z.object({ content: z.string() })]),
  z.transform((token) => (typeof token === 'string' ? token : token.content)),
)

const TokenizerConfigSchema = z.object({
  padding_side: z.optional(z.enum(['left', 'right'])),
  pad_token: z.nullish(TokenSchema),
  eos_token: z.nullish(TokenSchema),
  model_max_length: z.optional(z.number()),
  added_tokens_decoder: z.optional(z.record(z.string(), z.object({ content: z.string() }))),
})

const ModulesSchema = z.array(z.object({ path: z.string(), type: z.string() }))

const PoolingConfigSchema = z.object({
  pooling_mode_cls_token: z.optional(z.boolean()),
  pooling_mode_mean_tokens: z.optional(z.boolean()),
  pooling_mode_max_tokens: z.optional(z.boolean()),
  pooling_mode_mean_sqrt_len_tokens: z.optional(z.boolean()),
  pooling_mode_weightedmean_tokens: z.optional(z.boolean()),
  pooling_mode_lasttoken: z.optional(z.boolean()),
})

const SentenceTransformersConfigSchema = z.object({
  prompts: z.optional(z.record(z.string(), z.string())),
  default_prompt_name: z.nullish(z.string()),
})

const SentenceBertConfigSchema = z.object({ max_seq_length: z.optional(count) })

/** A parsed file and the path it came from (relative to the folder), for naming sources. */
export interface Found<T> {
  file: string
  value: T
}

export interface HfFiles {
  config: Found<z.infer<typeof ConfigSchema>> | null
  tokenizerConfig: Found<z.infer<typeof TokenizerConfigSchema>> | null
  modules: Found<z.infer<typeof ModulesSchema>> | null
  pooling: Found<z.infer<typeof PoolingConfigSchema>> | null
  sentenceTransformers: Found<z.infer<typeof SentenceTransformersConfigSchema>> | null
  sentenceBert: Found<z.infer<typeof SentenceBertConfigSchema>> | null
  /** Every config file read, for the revision digest. */
  files: string[]
}

export type HfConfig = NonNullable<HfFiles['config']>['value']
export type HfTokenizerConfig = NonNullable<HfFiles['tokenizerConfig']>['value']
export type HfPoolingConfig = NonNullable<HfFiles['pooling']>['value']

/** Reads what is there; a file that exists but does not parse is an error naming it. */
export function readHfFiles(dir: string): HfFiles {
  const files: string[] = []
  const read = <T>(relative: string, schema: z.ZodMiniType<T>): Found<T> | null => {
    const file = path.join(dir, relative)
    if (!existsSync(file)) return null
    let json: unknown
    try {
      json = JSON.parse(readFileSync(file, 'utf8'))
    } catch (err) {
      throw new Error(`${relative} is not valid JSON: ${(err as Error).message}`)
    }
    const parsed = schema.safeParse(json)
    if (!parsed.success)
      throw new Error(`${relative}: ${parsed.error.issues.map(describeIssue).join('; ')}`)
    files.push(file)
    return { file: relative, value: parsed.data }
  }
  const modules = read('modules.json', ModulesSchema)
  // sentence-transformers names the pooling module's folder in modules.json (`1_Pooling`).
  const poolingDir = modules?.value.find((m) => m.type.endsWith('.Pooling'))?.path ?? '1_Pooling'
  return {
    config: read('config.json', ConfigSchema),
    tokenizerConfig: read('tokenizer_config.json', TokenizerConfigSchema),
    modules,
    pooling: read(path.join(poolingDir, 'config.json'), PoolingConfigSchema),
    sentenceTransformers: read(
      'config_sentence_transformers.json',
      SentenceTransformersConfigSchema,
    ),
    sentenceBert: read('sentence_bert_config.json', SentenceBertConfigSchema),
    files,
  }
}

/** One issue as `path: message`, for the errors that name a model folder's file. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  return `${issue.path.join('.') || '(root)'}: ${issue.message}`
}
