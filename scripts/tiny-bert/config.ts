/** The shape of the generated BERT-style encoder: small enough to build and run in milliseconds. */

export interface BertShape {
  vocabSize: number
  hiddenSize: number
  numLayers: number
  numHeads: number
  intermediateSize: number
  /** Rows of the position table: also the model's maximum input tokens. */
  maxPositions: number
  typeVocabSize: number
  layerNormEps: number
}

export function tinyBertShape(vocabSize: number): BertShape {
  return {
    vocabSize,
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    intermediateSize: 64,
    maxPositions: 64,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
  }
}

export const DEFAULT_SEED = 20250611
