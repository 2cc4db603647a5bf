/**
 * The manifest of a served model: everything the node must know to feed the
 * ONNX graph and turn its output into one normalized vector per input.
 *
 * The node derives it from the folder's own files (derive-manifest.ts); a
 * `manifest.json` in the folder overrides any of its fields, and may hold
 * only the ones to change (`ManifestOverrideSchema`).
 */
import * as z from '../../shared/zod-mini.ts'

export const PoolingSchema = z.enum(['last_token', 'mean', 'cls', 'in_graph'])
export type Pooling = z.infer<typeof PoolingSchema>

/** Graph tensor names. Inputs not listed are not fed, except `past_key_values.*`, which get empty tensors. */
const GraphSchema = z.object({
  input_ids: z.string(),
  attention_mask: z.nullable(z.string()),
  position_ids: z.nullable(z.string()),
  token_type_ids: z.nullable(z.string()),
  output: z.string(),
})

export const ModelManifestSchema = z.object({
  /** Public model id, as clients name it in `model`. */
  id: z.string().check(z.minLength(1)),
  /** Changes whenever weights or preprocessing change; part of every cache key. */
  revision: z.string().check(z.minLength(1)),
  /** Size of the full output vector. */
  dimensions: z.int().check(z.positive()),
  /**
   * How one vector is made from the graph's output:
   * - `last_token`: hidden state of the last real token (Qwen3-Embedding; needs left padding or the mask)
   * - `mean`: masked mean over tokens; `cls`: first token
   * - `in_graph`: the graph already outputs one vector per input
   */
  pooling: PoolingSchema,
  padding_side: z.enum(['left', 'right']),
  /**
   * The token every input must end with (Qwen3: `<|endoftext|>` 151643), or null. The node
   * appends it after truncation unless the tokenizer's own post-processor already does.
   */
  eos_token_id: z.nullable(z.int().check(z.nonnegative())),
  pad_token_id: z.int().check(z.nonnegative()),
  /** Inputs longer than this (EOS included) are truncated to it. */
  max_input_tokens: z.int().check(z.positive()),
  /** Whether the first k components of the vector are themselves a good embedding. */
  matryoshka: z.boolean(),
  /** `qwen3` models take `Instruct: {instruction}\nQuery:{text}` for queries; `none` take text as it is. */
  instruction_format: z.enum(['qwen3', 'none']),
  /** Default instruction for queries when the request gives none (instruction-aware models only). */
  default_instruction: z.optional(z.string()),
  /**
   * Query heads whose L × L attention scores the graph holds at once, for the attention memory
   * bound; null when the graph's attention holds none (a fused operator) or nobody knows.
   * Always set in a derived manifest; optional so generated manifest.json files may omit it.
   */
  attention_heads: z.optional(z.nullable(z.int().check(z.positive()))),
  graph: GraphSchema,
})
export type ModelManifest = z.infer<typeof ModelManifestSchema>

/** What `manifest.json` may hold: any fields, graph names included, to override. */
export const ManifestOverrideSchema = z.strictObject({
  ...z.partial(ModelManifestSchema).shape,
  graph: z.optional(z.partial(GraphSchema)),
})
export type ManifestOverride = z.infer<typeof ManifestOverrideSchema>
