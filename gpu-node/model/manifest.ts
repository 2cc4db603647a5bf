/**
 * The manifest of a model folder: everything the node must know to feed the
 * ONNX graph and turn its output into one normalized vector per input.
 *
 * A model folder holds `model.onnx` (or `onnx/model.onnx`), `tokenizer.json`
 * and `manifest.json` with this shape.
 */
import { z } from 'zod'

export const PoolingSchema = z.enum(['last_token', 'mean', 'cls', 'in_graph'])
export type Pooling = z.infer<typeof PoolingSchema>

export const ModelManifestSchema = z.object({
  /** Public model id, as clients name it in `model`. */
  id: z.string().min(1),
  /** Changes whenever weights or preprocessing change; part of every cache key. */
  revision: z.string().min(1),
  /** Size of the full output vector. */
  dimensions: z.number().int().positive(),
  /**
   * How one vector is made from the graph's output:
   * - `last_token`: hidden state of the last real token (Qwen3-Embedding; needs left padding or the mask)
   * - `mean`: masked mean over tokens; `cls`: first token
   * - `in_graph`: the graph already outputs one vector per input
   */
  pooling: PoolingSchema,
  padding_side: z.enum(['left', 'right']),
  /** Token id appended to every input after truncation (Qwen3: `<|endoftext|>` 151643), or null. */
  eos_token_id: z.number().int().nonnegative().nullable(),
  pad_token_id: z.number().int().nonnegative(),
  /** Inputs longer than this (EOS included) are truncated to it. */
  max_input_tokens: z.number().int().positive(),
  /** Whether the first k components of the vector are themselves a good embedding. */
  matryoshka: z.boolean(),
  /** `qwen3` models take `Instruct: {instruction}\nQuery:{text}` for queries; `none` take text as it is. */
  instruction_format: z.enum(['qwen3', 'none']),
  /** Default instruction for queries when the request gives none (instruction-aware models only). */
  default_instruction: z.string().optional(),
  /** Graph tensor names. Inputs not listed are not fed, except `past_key_values.*`, which get empty tensors. */
  graph: z.object({
    input_ids: z.string().default('input_ids'),
    attention_mask: z.string().nullable().default('attention_mask'),
    position_ids: z.string().nullable().default(null),
    token_type_ids: z.string().nullable().default(null),
    output: z.string(),
  }),
})
export type ModelManifest = z.infer<typeof ModelManifestSchema>
