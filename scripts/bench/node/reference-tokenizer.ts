/**
 * The token ids the node's rules give a text (the folder's tokenizer.json, cut to the manifest's
 * maximum, the manifest's EOS appended last), computed in the benchmark itself. Throughput of
 * every contender is counted in these tokens, the ceiling runs on them, and the naive server
 * tokenizes the same way, so tokens/s means one thing across the table.
 */
import { Tokenizer } from '@huggingface/tokenizers'
import { readModelFolder, type ModelFolder } from '../../../gpu-node/model/model-folder.ts'

export interface ReferenceTokenizer {
  folder: ModelFolder
  encode: (text: string) => number[]
}

export async function loadReferenceTokenizer(modelDir: string): Promise<ReferenceTokenizer> {
  const folder = await readModelFolder(modelDir)
  const tokenizer = new Tokenizer(folder.tokenizerJson, folder.tokenizerConfig)
  const { eos_token_id: eos, max_input_tokens: max } = folder.manifest
  const budget = max - (eos === null ? 0 : 1)
  const encode = (text: string) => {
    const ids = tokenizer.encode(text).ids.slice(0, budget)
    return eos === null ? ids : [...ids, eos]
  }
  return { folder, encode }
}
