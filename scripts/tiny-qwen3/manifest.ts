/**
 * The manifest of a generated model folder, checked against the node's own schema so a folder
 * this script writes is one the node accepts.
 */
import { createHash } from 'node:crypto'
import { type ModelManifest, ModelManifestSchema } from '../../gpu-node/model/manifest.ts'
import type { Qwen3Shape } from './config.ts'

/**
 * Bump when build-graph.ts or weights.ts change what gets written for the same shape and seed;
 * it feeds the revision, which is what makes `ensureTinyQwen3` regenerate.
 */
export const GENERATOR_VERSION = 7

const QWEN3_EOS = 151643

/** Revision from everything that decides the folder's contents, tokenizer bytes included. */
export function modelRevision(
  shape: Qwen3Shape,
  seed: number,
  withPast: boolean,
  tokenizerJson: Uint8Array,
): string {
  const hash = createHash('sha256')
  hash.update(JSON.stringify({ generator: GENERATOR_VERSION, shape, seed, withPast }))
  hash.update(tokenizerJson)
  return `seed${seed}-${hash.digest('hex').slice(0, 16)}`
}

export function buildManifest(id: string, revision: string, shape: Qwen3Shape): ModelManifest {
  return ModelManifestSchema.parse({
    id,
    revision,
    dimensions: shape.hiddenSize,
    pooling: 'last_token',
    padding_side: 'left',
    eos_token_id: QWEN3_EOS,
    pad_token_id: QWEN3_EOS,
    max_input_tokens: shape.maxInputTokens,
    matryoshka: true,
    instruction_format: 'qwen3',
    default_instruction:
      'Given a web search query, retrieve relevant passages that answer the query',
    // Plain MatMul/Softmax attention: the node bounds its L² scores by these heads.
    attention_heads: shape.numHeads,
    graph: {
      input_ids: 'input_ids',
      attention_mask: 'attention_mask',
      position_ids: 'position_ids',
      token_type_ids: null,
      output: 'last_hidden_state',
    },
  })
}
