/**
 * The manifest of the default model folder, checked against the node's own schema so a folder
 * this script writes is one the node accepts.
 */
import { type ModelManifest, ModelManifestSchema } from '../../gpu-node/model/manifest.ts'
import { GRAPH_IO } from './convert-graph.ts'

export const MODEL_ID = 'use-lite-en'

/**
 * Bump whenever the converter would write different bytes for the same source package (graph,
 * tokenizer or manifest): it feeds the revision, which is what makes `ensureDefaultModel` convert
 * again and what invalidates cached embeddings.
 */
export const CONVERTER_VERSION = 1

/** e.g. `energetic-ai-0.2.0+onnx.1`: the source package version, then the converter's. */
export function modelRevision(sourceVersion: string): string {
  return `energetic-ai-${sourceVersion}+onnx.${CONVERTER_VERSION}`
}

export function buildManifest(
  revision: string,
  dims: { dimensions: number; maxInputTokens: number },
): ModelManifest {
  return ModelManifestSchema.parse({
    id: MODEL_ID,
    revision,
    dimensions: dims.dimensions,
    // Masked mean → dense → tanh → L2 all happen inside the graph.
    pooling: 'in_graph',
    padding_side: 'right',
    eos_token_id: null,
    // Any id works (padding is masked out of attention and pooling); 0 is the unknown piece.
    pad_token_id: 0,
    max_input_tokens: dims.maxInputTokens,
    matryoshka: false,
    instruction_format: 'none',
    graph: {
      input_ids: GRAPH_IO.inputIds,
      attention_mask: GRAPH_IO.attentionMask,
      position_ids: null,
      token_type_ids: null,
      output: GRAPH_IO.output,
    },
  })
}
