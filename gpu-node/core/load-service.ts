/** Builds an EmbeddingService from a model folder: the one composition main.ts and tests share. */
import { createSession } from '../backend/onnx-session.ts'
import { OnnxEmbedder } from '../backend/onnx-embedder.ts'
import type { NodeConfig } from '../config.ts'
import { readModelFolder } from '../model/model-folder.ts'
import { TextTokenizer } from '../tokenization/text-tokenizer.ts'
import { EmbeddingService } from './embedding-service.ts'

export type ServiceSettings = Pick<
  NodeConfig,
  | 'modelDir'
  | 'executionProviders'
  | 'cudaDeviceId'
  | 'intraOpThreads'
  | 'interOpThreads'
  | 'maxBatchSize'
  | 'maxBatchWaitMs'
>

export async function loadEmbeddingService(settings: ServiceSettings) {
  const folder = await readModelFolder(settings.modelDir)
  const { session, provider } = await createSession(folder.onnxPath, settings)
  const service = new EmbeddingService(
    folder.manifest,
    new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, folder.manifest),
    new OnnxEmbedder(session, folder.manifest),
    { maxBatchSize: settings.maxBatchSize, maxWaitMs: settings.maxBatchWaitMs },
  )
  return { service, provider, release: () => session.release() }
}
