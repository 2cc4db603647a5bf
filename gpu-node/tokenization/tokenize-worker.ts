/**
 * The body of a tokenization worker thread: loads the model's tokenizer once
 * (about 1 s for Qwen3's), then turns each request's inputs into final ids.
 * Ids go back as one Int32Array plus a length per input; a refusal
 * (422 too long, 400 bad token id) goes back as its error body, since an
 * ApiError does not survive the trip between threads.
 */
import { workerData } from 'node:worker_threads'
import { ApiError, tooManyTokens, type OpenAIErrorBody } from '../../shared/errors.ts'
import type { ModelInput } from '../../shared/node-protocol.ts'
import { serveTasks } from '../threads/thread-body.ts'
import type { ModelManifest } from '../model/manifest.ts'
import { readTokenizerFilesSync, type ModelFolder } from '../model/model-folder.ts'
import { TextTokenizer } from './text-tokenizer.ts'

export type TokenizeWorkerData = Pick<ModelFolder, 'tokenizerPath' | 'tokenizerConfigPath'> & {
  manifest: ModelManifest
}

export interface TokenizeTask {
  inputs: ModelInput[]
  truncate: boolean
  /** Each input's index in the request, for the error about it. */
  indices: number[]
  /** Stop and refuse (400) as soon as the inputs so far pass this many tokens. */
  maxTokens?: number
}

export type TokenizeResult =
  | { ok: true; ids: Int32Array; lengths: Uint32Array }
  | { ok: false; status: number; body: OpenAIErrorBody }

function load(): (task: TokenizeTask) => TokenizeResult {
  const data = workerData as TokenizeWorkerData
  const files = readTokenizerFilesSync(data)
  const tokenizer = new TextTokenizer(files.tokenizerJson, files.tokenizerConfig, data.manifest)
  return ({ inputs, truncate, indices, maxTokens = Infinity }) => {
    try {
      // One input at a time, so 2048 long texts over the limit cost the first few of them.
      const encoded: ArrayLike<number>[] = []
      let total = 0
      for (let i = 0; i < inputs.length; i++) {
        const row = tokenizer.encode(inputs[i], truncate, indices[i])
        total += row.length
        if (total > maxTokens) throw tooManyTokens(total, maxTokens)
        encoded.push(row)
      }
      const lengths = Uint32Array.from(encoded, (ids) => ids.length)
      const ids = new Int32Array(lengths.reduce((sum, n) => sum + n, 0))
      let offset = 0
      for (const row of encoded) {
        ids.set(row, offset)
        offset += row.length
      }
      return { ok: true, ids, lengths }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err
      return { ok: false, status: err.status, body: err.toBody() }
    }
  }
}

await serveTasks(load, (result) =>
  result.ok ? [result.ids.buffer as ArrayBuffer, result.lengths.buffer as ArrayBuffer] : [],
)
