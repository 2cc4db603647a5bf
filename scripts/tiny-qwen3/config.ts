/**
 * Shape presets for the generated Qwen3-architecture models.
 *
 * `tiny` is small enough that generating it and running it in tests takes well under a second;
 * `0.6b` has the layer count and widths of Qwen3-Embedding-0.6B, for benchmarks only;
 * `4b-slice` has Qwen3-Embedding-4B's widths (2560-d, 32 query and 8 KV heads of 128, MLP 9728)
 * and real vocabulary (151,665 ids), with 2 of its 36 layers: a 2560-dimension model that runs end to end here.
 */

export type PresetName = 'tiny' | '0.6b' | '4b-slice'

export interface Qwen3Shape {
  /** Rows in the embedding table: every id the Qwen3 tokenizer can emit (0..151668). */
  vocabSize: number
  hiddenSize: number
  numLayers: number
  numHeads: number
  numKvHeads: number
  headDim: number
  intermediateSize: number
  ropeTheta: number
  rmsNormEps: number
  /** Written to the manifest; the tiny model keeps it low so a stray long input stays cheap. */
  maxInputTokens: number
}

const QWEN3_VOCAB = 151_669

export const PRESETS: Record<PresetName, Qwen3Shape> = {
  tiny: {
    vocabSize: QWEN3_VOCAB,
    hiddenSize: 64,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    intermediateSize: 128,
    ropeTheta: 1_000_000,
    rmsNormEps: 1e-6,
    maxInputTokens: 8192,
  },
  '0.6b': {
    vocabSize: QWEN3_VOCAB,
    hiddenSize: 1024,
    numLayers: 28,
    numHeads: 16,
    numKvHeads: 8,
    headDim: 128,
    intermediateSize: 3072,
    ropeTheta: 1_000_000,
    rmsNormEps: 1e-6,
    maxInputTokens: 32768,
  },
  '4b-slice': {
    // The 4B's tokenizer and embedding table stop before the 0.6B's four tool/think tokens.
    vocabSize: 151_665,
    hiddenSize: 2560,
    numLayers: 2,
    numHeads: 32,
    numKvHeads: 8,
    headDim: 128,
    intermediateSize: 9728,
    ropeTheta: 1_000_000,
    rmsNormEps: 1e-6,
    // Qwen3-Embedding-4B's max_position_embeddings.
    maxInputTokens: 40960,
  },
}

/** Seed used unless a caller asks for another; part of the revision. */
export const DEFAULT_SEED = 20250605

/** Folder name under the models directory for a preset and graph variant. */
export function modelFolderName(preset: PresetName, withPast: boolean): string {
  const base = { tiny: 'qwen3-tiny', '0.6b': 'qwen3-0.6b-shaped', '4b-slice': 'qwen3-4b-slice' }[
    preset
  ]
  return withPast ? `${base}-past` : base
}
