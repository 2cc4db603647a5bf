/**
 * Tokenization off the main thread (TEI's tokenization workers): a piscina
 * pool of threads, each with its own copy of the model's tokenizer, so a long
 * or many-input request never blocks the event loop that feeds the sessions.
 * One task per request keeps its inputs together.
 */
import { Piscina } from 'piscina'
import { ApiError } from '../../shared/errors.ts'
import type { ModelInput } from '../../shared/node-protocol.ts'
import type { TokenizeResult, TokenizeTask, TokenizeWorkerData } from './tokenize-worker.ts'

const WORKER_ENTRY = new URL('./tokenize-worker.mjs', import.meta.url).href

export class TokenizerPool {
  private readonly pool: Piscina<TokenizeTask, TokenizeResult>

  constructor(data: TokenizeWorkerData, threads: number) {
    this.pool = new Piscina({
      filename: WORKER_ENTRY,
      workerData: data,
      minThreads: threads,
      maxThreads: threads,
      // Loading Qwen3's tokenizer takes about a second: threads live as long as the pool.
      idleTimeout: Infinity,
    })
  }

  get threads(): number {
    return this.pool.threads.length
  }

  /**
   * Final ids per input (specials, truncation and EOS applied), as views into one array.
   * Throws the tokenizer's ApiError (422 too long, 400 bad token id).
   *
   * @param indices each input's index in the request, for the error's `param`
   */
  async encode(inputs: ModelInput[], truncate: boolean, indices: number[]): Promise<Int32Array[]> {
    const result = await this.pool.run({ inputs, truncate, indices })
    if (!result.ok) {
      throw new ApiError(result.status, result.message, { param: result.param, code: result.code })
    }
    const rows: Int32Array[] = []
    let offset = 0
    for (const length of result.lengths) {
      rows.push(result.ids.subarray(offset, offset + length))
      offset += length
    }
    return rows
  }

  /** Resolves once every thread has loaded its tokenizer, so the first request pays nothing. */
  async warmUp(): Promise<void> {
    const threads = this.pool.options.maxThreads
    await Promise.all(
      Array.from({ length: threads }, () => this.encode([{ text: 'warm up' }], true, [0])),
    )
  }

  close(): Promise<void> {
    return this.pool.destroy()
  }
}
