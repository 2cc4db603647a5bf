/**
 * The token ids the node's rules give a text (its TextTokenizer over the folder's tokenizer
 * files and manifest), computed in the benchmark itself. Throughput of every contender is
 * counted in these tokens, the ceiling runs on them, and the naive server tokenizes the same
 * way, so tokens/s means one thing across the table.
 */
import { openModel, type OpenedModel } from '../../../gpu-node/model/model-folder.ts'
import { TextTokenizer } from '../../../gpu-node/tokenization/text-tokenizer.ts'

export interface ReferenceTokenizer {
  model: OpenedModel
  encode: (text: string) => number[]
}

export async function loadReferenceTokenizer(modelDir: string): Promise<ReferenceTokenizer> {
  const model = openModel(modelDir)
  const { folder, manifest } = model
  const tokenizer = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, manifest)
  return { model, encode: (text) => tokenizer.encode({ text }, true) }
}
