/**
 * The manifest of a model folder, derived from the files it was published
 * with, each value with the place it came from. Order of precedence for every
 * field: `manifest.json` (an override), then the model's own files, then what
 * is known of its `model_type`. A value nothing gives is a refusal, and so is
 * a graph the node cannot feed or pool; all refusals are collected so one run
 * of `npm run model:inspect` names every problem.
 */
import type { GraphInfo, GraphTensor } from './onnx-graph-info.ts'
import { fusedAttentionOp } from './onnx-graph-info.ts'
import type { HfFiles, HfPoolingConfig } from './hf-files.ts'
import type { ManifestOverride, ModelManifest, Pooling } from './manifest.ts'
import { ModelManifestSchema } from './manifest.ts'

/** Decoders that pool their last token (the EOS they are trained to summarize into). */
const LAST_TOKEN_TYPES = new Set([
  'qwen3',
  'qwen2',
  'llama',
  'mistral',
  'gemma',
  'gemma2',
  'gemma3',
])
/** Encoders whose sentence-transformers models pool by mean unless told otherwise. */
const MEAN_TYPES = new Set(['bert', 'roberta', 'xlm-roberta', 'mpnet', 'distilbert', 'nomic_bert'])
/** Encoders whose position ids start at pad_token_id + 1. */
const OFFSET_POSITIONS = new Set(['roberta', 'xlm-roberta', 'camembert'])
/** Qwen3-Embedding's model card default, for exports that dropped config_sentence_transformers.json. */
export const QWEN3_DEFAULT_INSTRUCTION =
  'Given a web search query, retrieve relevant passages that answer the query'
/** Qwen3-Embedding's prompt form, `Instruct: {instruction}\nQuery:`. */
const QWEN3_PROMPT = /^Instruct: ([\s\S]*)\nQuery:\s*$/
/** Graph inputs the node knows how to feed; `past_key_values.*` get empty tensors. */
const KNOWN_INPUTS = ['input_ids', 'attention_mask', 'position_ids', 'token_type_ids'] as const
const PAST_PREFIX = 'past_key_values.'

export interface DeriveContext {
  files: HfFiles
  graph: GraphInfo
  /** The ONNX file, relative to the folder, for messages. */
  onnxFile: string
  override: ManifestOverride | null
  /** The folder's (or hub repo's) name. */
  id: { value: string; source: string }
  /** MODEL_ID, when set. */
  modelId: string | undefined
  revision: { value: string; source: string }
  /** Looks a token's text up in the tokenizer; undefined when it has no such token. */
  tokenId: (token: string) => number | undefined
  /** The special token tokenizer.json's post-processor puts last on every input, if any. */
  appendedToken: { token: string; id: number } | null
}

export type ManifestField =
  Exclude<keyof ModelManifest, 'graph'> | `graph.${keyof ModelManifest['graph']}`

export interface Derivation {
  /** Set when nothing was refused. */
  manifest: ModelManifest | null
  /** Each field's value and where it came from. */
  fields: Partial<Record<ManifestField, { value: unknown; source: string }>>
  refusals: string[]
}

type Pick<T> = { value: T; source: string } | { refusal: string }

export function deriveManifest(context: DeriveContext): Derivation {
  const { files, graph, override } = context
  const config = files.config
  const modelType = config?.value.model_type
  const fields: Derivation['fields'] = {}
  const refusals: string[] = []
  const fromManifest = 'manifest.json'

  /** Records the override if there is one, else the first rule that gives a value. */
  function field<T>(
    name: ManifestField,
    overridden: T | undefined,
    ...rules: (() => Pick<T> | null)[]
  ): T | undefined {
    if (overridden !== undefined) {
      fields[name] = { value: overridden, source: fromManifest }
      return overridden
    }
    for (const rule of rules) {
      const result = rule()
      if (!result) continue
      if ('refusal' in result) {
        refusals.push(`${name}: ${result.refusal}`)
        return undefined
      }
      fields[name] = result
      return result.value
    }
    refusals.push(`${name}: nothing in the folder says (add it to manifest.json)`)
    return undefined
  }
  const fromConfig = <T>(key: string, value: T | undefined | null): Pick<T> | null =>
    value === undefined || value === null ? null : { value, source: `${config!.file} ${key}` }

  const outputTensor = pickOutput(graph.outputs)
  const graphNames = deriveGraph(graph, override?.graph ?? {}, outputTensor, refusals, fields)

  // MODEL_ID is the operator's word at start: it wins over manifest.json too.
  const id = context.modelId
    ? field('id', undefined, () => ({ value: context.modelId!, source: 'MODEL_ID' }))
    : field('id', override?.id, () => context.id)
  const revision = field('revision', override?.revision, () => context.revision)

  const dimensions = field<number>(
    'dimensions',
    override?.dimensions,
    // The graph's own output width is the truth (an export may project past hidden_size).
    () => {
      const last = outputTensor?.shape.at(-1)
      return typeof last === 'number'
        ? { value: last, source: `${context.onnxFile} output ${outputTensor!.name}'s last axis` }
        : null
    },
    () => fromConfig('hidden_size', config?.value.hidden_size),
  )

  const pooling = field<Pooling>(
    'pooling',
    override?.pooling,
    // A graph that already pools (a 2-D sentence_embedding) is served as it is.
    () =>
      outputTensor?.shape.length === 2
        ? {
            value: 'in_graph',
            source: `${context.onnxFile} outputs one vector per input (${outputTensor.name})`,
          }
        : null,
    () => (files.pooling ? poolingFrom(files.pooling.value, files.pooling.file) : null),
    () => {
      if (!modelType) return null
      if (LAST_TOKEN_TYPES.has(modelType))
        return {
          value: 'last_token',
          source: `known for model_type ${modelType} (${config!.file})`,
        }
      if (MEAN_TYPES.has(modelType))
        return { value: 'mean', source: `known for model_type ${modelType} (${config!.file})` }
      return null
    },
  )
  if (pooling && outputTensor) {
    const rank = outputTensor.shape.length
    if (pooling === 'in_graph' ? rank !== 2 : rank !== 3) {
      refusals.push(
        `graph.output: ${outputTensor.name} has ${rank} axes; ${pooling} pooling needs ${pooling === 'in_graph' ? '[batch, width]' : '[batch, sequence, width]'}`,
      )
    }
  }

  const fused = fusedAttentionOp(graph)
  const paddingSide = field<'left' | 'right'>(
    'padding_side',
    override?.padding_side,
    // GroupQueryAttention takes each row's length, not a mask: real tokens must come first.
    () =>
      fused === 'GroupQueryAttention'
        ? {
            value: 'right',
            source: `${context.onnxFile} uses GroupQueryAttention, which needs right padding`,
          }
        : null,
    () =>
      files.tokenizerConfig?.value.padding_side
        ? {
            value: files.tokenizerConfig.value.padding_side,
            source: `${files.tokenizerConfig.file} padding_side`,
          }
        : null,
    () =>
      pooling
        ? {
            value: pooling === 'last_token' ? 'left' : 'right',
            source: `the usual side for ${pooling} pooling (no padding_side in tokenizer_config.json)`,
          }
        : null,
  )

  const eos = field<number | null>(
    'eos_token_id',
    override?.eos_token_id,
    () =>
      pooling === 'last_token'
        ? null
        : { value: null, source: `${pooling ?? 'this'} pooling reads no end token` },
    // The current Qwen3-Embedding tokenizer.json appends <|endoftext|> itself; the token its
    // post-processor appends is the one the model pools (llama.cpp reads it the same way).
    () => {
      const appended = context.appendedToken
      return appended
        ? { value: appended.id, source: `tokenizer.json post_processor appends ${appended.token}` }
        : null
    },
    // Older copies append nothing. config.json's eos_token_id is no guide for Qwen3: the 4B's
    // says 151645 (<|im_end|>, the chat turn's end), as tokenizer_config.json's eos_token does.
    () => {
      const endOfText = modelType?.startsWith('qwen') ? context.tokenId('<|endoftext|>') : undefined
      return endOfText === undefined
        ? null
        : { value: endOfText, source: `<|endoftext|>, the token ${modelType} embeddings pool` }
    },
    () => {
      const configured = config?.value.eos_token_id
      const id = Array.isArray(configured) ? configured[0] : configured
      return typeof id === 'number' ? { value: id, source: `${config!.file} eos_token_id` } : null
    },
  )

  const pad = field<number>(
    'pad_token_id',
    override?.pad_token_id,
    () => {
      const token = files.tokenizerConfig?.value.pad_token
      const id = token ? context.tokenId(token) : undefined
      return id === undefined
        ? null
        : { value: id, source: `${files.tokenizerConfig!.file} pad_token ${token}` }
    },
    () => fromConfig('pad_token_id', config?.value.pad_token_id),
    () =>
      typeof eos === 'number'
        ? { value: eos, source: 'the end token (no pad token is named)' }
        : null,
    // Padding is masked out of attention and pooling, so with nothing named any id will do.
    () => ({ value: 0, source: 'id 0 (no pad token is named; padding is masked out)' }),
  )

  const maxInputTokens = field<number>(
    'max_input_tokens',
    override?.max_input_tokens,
    () =>
      files.sentenceBert?.value.max_seq_length
        ? {
            value: files.sentenceBert.value.max_seq_length,
            source: `${files.sentenceBert.file} max_seq_length`,
          }
        : null,
    () => {
      const positions = config?.value.max_position_embeddings
      if (!positions) return null
      // RoBERTa-style models start positions at pad_token_id + 1 (TEI subtracts the same).
      const offset =
        modelType && OFFSET_POSITIONS.has(modelType) ? (config!.value.pad_token_id ?? 1) + 1 : 0
      return {
        value: positions - offset,
        source: `${config!.file} max_position_embeddings${offset ? ` − ${offset} (${modelType} positions start after padding)` : ''}`,
      }
    },
  )

  const matryoshka = field<boolean>('matryoshka', override?.matryoshka, () =>
    modelType === 'qwen3' && pooling === 'last_token'
      ? {
          value: true,
          source: 'Qwen3-Embedding is trained for Matryoshka dimensions (model_type qwen3)',
        }
      : { value: false, source: `not known for model_type ${modelType ?? '(none)'}` },
  )

  const queryPrompt = files.sentenceTransformers?.value.prompts?.['query']
  const promptInstruction = queryPrompt ? QWEN3_PROMPT.exec(queryPrompt)?.[1] : undefined
  const instructionFormat = field<'qwen3' | 'none'>(
    'instruction_format',
    override?.instruction_format,
    () =>
      promptInstruction !== undefined
        ? { value: 'qwen3', source: `${files.sentenceTransformers!.file} prompts.query` }
        : null,
    () =>
      modelType === 'qwen3' && pooling === 'last_token'
        ? { value: 'qwen3', source: 'known for Qwen3-Embedding (model_type qwen3)' }
        : { value: 'none', source: 'no Instruct/Query prompt in the folder' },
  )
  let defaultInstruction: string | undefined
  if (override?.default_instruction !== undefined) {
    defaultInstruction = field('default_instruction', override.default_instruction)
  } else if (instructionFormat === 'qwen3') {
    defaultInstruction = field<string>(
      'default_instruction',
      undefined,
      () =>
        promptInstruction !== undefined
          ? {
              value: promptInstruction,
              source: `${files.sentenceTransformers!.file} prompts.query`,
            }
          : null,
      () => ({ value: QWEN3_DEFAULT_INSTRUCTION, source: "Qwen3-Embedding's model card default" }),
    )
  }

  // onnxruntime's CPU GroupQueryAttention is tiled (flash) in float32 only; in float16 it holds
  // the full L × L scores like a plain graph (measured: 17.6 GB at 32,768 tokens, 4 heads).
  // MultiHeadAttention and Attention hold B × N × S × S scores on the CPU outside narrow cases.
  const tiled = fused === 'GroupQueryAttention' && outputTensor?.type === 'float32'
  const attentionHeads = field<number | null>(
    'attention_heads',
    override?.attention_heads,
    () =>
      tiled
        ? {
            value: null,
            source: `${context.onnxFile} computes attention with com.microsoft:${fused}, tiled in float32`,
          }
        : null,
    () => fromConfig('num_attention_heads', config?.value.num_attention_heads),
    () => ({
      value: null,
      source: 'unknown (no num_attention_heads): attention memory is not bounded',
    }),
  )

  if (refusals.length > 0 || !graphNames) return { manifest: null, fields, refusals }
  const manifest = ModelManifestSchema.parse({
    id,
    revision,
    dimensions,
    pooling,
    padding_side: paddingSide,
    eos_token_id: eos,
    pad_token_id: pad,
    max_input_tokens: maxInputTokens,
    matryoshka,
    instruction_format: instructionFormat,
    ...(defaultInstruction === undefined ? {} : { default_instruction: defaultInstruction }),
    attention_heads: attentionHeads,
    graph: graphNames,
  })
  if (
    outputTensor &&
    typeof outputTensor.shape.at(-1) === 'number' &&
    outputTensor.shape.at(-1) !== manifest.dimensions
  ) {
    refusals.push(
      `dimensions: ${manifest.dimensions} (${fields.dimensions?.source}), but ${outputTensor.name} is ${outputTensor.shape.at(-1)} wide`,
    )
    return { manifest: null, fields, refusals }
  }
  return { manifest, fields, refusals }
}

/** sentence-transformers' pooling modes, as TEI reads them; the node pools one way at a time. */
function poolingFrom(config: HfPoolingConfig, file: string): Pick<Pooling> {
  const modes: [keyof HfPoolingConfig, Pooling | null][] = [
    ['pooling_mode_lasttoken', 'last_token'],
    ['pooling_mode_cls_token', 'cls'],
    ['pooling_mode_mean_tokens', 'mean'],
    ['pooling_mode_max_tokens', null],
    ['pooling_mode_mean_sqrt_len_tokens', null],
    ['pooling_mode_weightedmean_tokens', null],
  ]
  const on = modes.filter(([key]) => config[key] === true)
  if (on.length !== 1)
    return { refusal: `${file} turns on ${on.length} pooling modes; the node serves exactly one` }
  const [key, pooling] = on[0]
  if (!pooling) return { refusal: `${file}: ${key} is not a pooling the node serves` }
  return { value: pooling, source: `${file} ${key}` }
}

/** The output the node pools: the per-token states when the graph has them. */
function pickOutput(outputs: GraphTensor[]): GraphTensor | undefined {
  const byName = (name: string) => outputs.find((output) => output.name === name)
  return (
    byName('last_hidden_state') ??
    byName('token_embeddings') ??
    byName('sentence_embedding') ??
    outputs.find((output) => !output.name.startsWith('present'))
  )
}

function deriveGraph(
  graph: GraphInfo,
  override: Partial<ModelManifest['graph']>,
  output: GraphTensor | undefined,
  refusals: string[],
  fields: Derivation['fields'],
): ModelManifest['graph'] | null {
  const inputs = new Set(graph.inputs.map((input) => input.name))
  const names = {} as ModelManifest['graph']
  for (const name of KNOWN_INPUTS) {
    const key = `graph.${name}` as const
    if (override[name] !== undefined) {
      names[name] = override[name] as string
      fields[key] = { value: override[name], source: 'manifest.json' }
    } else {
      names[name] = (inputs.has(name) ? name : null) as string
      fields[key] = {
        value: names[name],
        source: inputs.has(name) ? 'a graph input' : 'not a graph input',
      }
    }
  }
  if (override.output !== undefined) {
    names.output = override.output
    fields['graph.output'] = { value: override.output, source: 'manifest.json' }
  } else if (output) {
    names.output = output.name
    fields['graph.output'] = {
      value: output.name,
      source: `a graph output ${JSON.stringify(output.shape)}`,
    }
  }
  let ok = true
  if (!names.input_ids || !inputs.has(names.input_ids)) {
    refusals.push(
      `graph.input_ids: the graph has no input '${names.input_ids ?? 'input_ids'}' to feed token ids to`,
    )
    ok = false
  }
  const fed = new Set(Object.values(names))
  for (const input of graph.inputs) {
    if (fed.has(input.name)) continue
    if (input.name.startsWith(PAST_PREFIX)) {
      const [, kvHeads, , headDim] = input.shape
      if (typeof kvHeads !== 'number' || typeof headDim !== 'number') {
        refusals.push(
          `graph: ${input.name} has no fixed KV heads and head size, so no empty cache can be fed`,
        )
        ok = false
      }
      continue
    }
    refusals.push(
      `graph: the input '${input.name}' (${input.type} ${JSON.stringify(input.shape)}) is one the node cannot feed`,
    )
    ok = false
  }
  if (!names.output || !graph.outputs.some((o) => o.name === names.output)) {
    refusals.push(`graph.output: the graph has no output '${names.output ?? '(none)'}' to pool`)
    ok = false
  } else {
    const type = graph.outputs.find((o) => o.name === names.output)!.type
    if (type !== 'float32' && type !== 'float16') {
      refusals.push(`graph.output: ${names.output} is ${type}; the node reads float32 or float16`)
      ok = false
    }
  }
  return ok ? names : null
}
