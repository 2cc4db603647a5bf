/**
 * The node's whole job for one request: tokenize every input, queue the ids
 * for batched inference, and gather one full vector and token count per input.
 */
import { ApiError } from '../../shared/errors.ts'
import type { EmbedRequest, ModelInfo } from '../../shared/node-protocol.ts'
import type { VectorFrame } from '../../shared/vector-codec.ts'
import type { OnnxEmbedder } from '../backend/onnx-embedder.ts'
import type { ModelManifest } from '../model/manifest.ts'
import type { TextTokenizer } from '../tokenization/text-tokenizer.ts'
import { MicroBatcher, type MicroBatcherOptions } from './micro-batcher.ts'

export class EmbeddingService {
  private readonly batcher: MicroBatcher<number[], Float32Array>

  constructor(
    readonly manifest: ModelManifest,
    private readonly tokenizer: TextTokenizer,
    embedder: OnnxEmbedder,
    batching: MicroBatcherOptions,
  ) {
    this.batcher = new MicroBatcher((batch) => embedder.embed(batch), batching)
  }

  get info(): ModelInfo {
    const m = this.manifest
    return {
      id: m.id,
      revision: m.revision,
      dimensions: m.dimensions,
      max_input_tokens: m.max_input_tokens,
      matryoshka: m.matryoshka,
      instruction_format: m.instruction_format,
      ...(m.default_instruction ? { default_instruction: m.default_instruction } : {}),
    }
  }

  get queuedInputs(): number {
    return this.batcher.queued
  }

  async embed(request: EmbedRequest): Promise<VectorFrame> {
    if (request.model !== this.manifest.id) {
      throw new ApiError(404, `this node does not serve the model '${request.model}'`, {
        param: 'model',
        code: 'model_not_found',
      })
    }
    const tokenized = request.inputs.map((input, i) =>
      this.tokenizer.encode(input, request.truncate, `input[${i}]`),
    )
    const vectors = await this.batcher.submit(tokenized)
    return { vectors, tokenCounts: tokenized.map((ids) => ids.length) }
  }

  /**
   * Runs representative shapes once so the first real request pays no warm-up.
   * Bounded at 512 tokens: a 32K-token warm-up would cost more than it saves.
   */
  async warmUp(): Promise<void> {
    const short = { text: 'warm up' }
    const long = { text: 'warm up '.repeat(Math.min(this.manifest.max_input_tokens, 512)) }
    await this.embed({ model: this.manifest.id, inputs: [short], truncate: true })
    await this.embed({ model: this.manifest.id, inputs: [short, long], truncate: true })
  }
}
