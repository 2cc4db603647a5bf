/**
 * Puts the node together from a model folder and the configuration:
 * the folder's parts (model/) → sessions on the variant the device serves
 * (backend/) → scheduler and admission (core/) → tokenization workers → the
 * HTTP app (router/). main.ts serves the result; tests call `app.request` on
 * it directly.
 */
import { availableParallelism } from 'node:os'
import { useCryptoPrimitives } from '../shared/crypto-primitives.ts'
import { nodeCrypto } from './node-crypto.ts'
import type { ModelInfo } from '../shared/node-protocol.ts'
import type { EmbeddingBackend } from './backend/backend.ts'
import { padBatch } from './backend/padded-batch.ts'
import type { ThreadKind } from './threads/restarting-thread.ts'
import { sessionsDown, startSessions } from './backend/session-pool.ts'
import type { NodeConfig } from './config.ts'
import { AttentionBudget } from './core/attention-memory.ts'
import { BatchScheduler } from './core/batch-scheduler.ts'
import { Infer, type Tokenization } from './core/infer.ts'
import { NodeMetrics } from './core/metrics.ts'
import { VectorCache } from './core/vector-cache.ts'
import { VectorStats } from './core/vector-stats.ts'
import { warmUp } from './core/warm-up.ts'
import { readModelFolder } from './model/model-folder.ts'
import { fusedAttentionOp } from './model/onnx-graph-info.ts'
import { DriftMonitor } from './monitor/drift-monitor.ts'
import { embedProbesOn } from './monitor/embed-probes.ts'
import { createNodeApp } from './router/app.ts'
import { NonceMemory } from './router/nonce-memory.ts'
import { ServingState } from './router/serving-state.ts'
import { TokenizerPool } from './tokenization/tokenizer-pool.ts'

export type NodeSettings = Pick<
  NodeConfig,
  | 'modelDir'
  | 'modelId'
  | 'modelVariant'
  | 'secret'
  | 'scrapeToken'
  | 'nonceMemorySize'
  | 'session'
  | 'batching'
  | 'tokenizationWorkers'
  | 'vectorCacheBytes'
  | 'maxInputsPerRequest'
  | 'maxBodyBytes'
  | 'monitor'
>

export interface LoadOptions {
  /** Adds Node's process metrics (CPU, heap, event-loop lag) to /metrics: once per process. */
  processMetrics?: boolean
  log?: (line: string) => void
  /** Tests put a gate in front of the real sessions to hold batches while they look. */
  wrapBackends?: (backends: EmbeddingBackend[]) => EmbeddingBackend[]
}

export async function loadNode(settings: NodeSettings, options: LoadOptions = {}) {
  const log = options.log ?? console.log
  // Signatures and cache keys without a thread-pool job per digest (shared/crypto-primitives.ts).
  useCryptoPrimitives(nodeCrypto)
  const folder = readModelFolder(settings.modelDir, { modelId: settings.modelId })
  const metrics = new NodeMetrics({ processMetrics: options.processMetrics })
  // A session or tokenizer thread that dies is started again, and counted.
  const supervision = {
    log,
    onRestart: (kind: ThreadKind) => metrics.threadRestarts.inc({ kind }),
  }
  const started = await startSessions(
    folder,
    settings.modelVariant,
    settings.session,
    log,
    supervision,
  )
  const { model: served } = started
  const { manifest } = served
  // A simulated device stands in for a GPU.
  const onGpu = started.backends.some((backend) => /^(cuda|sim):/.test(backend.label))
  // On a GPU host the cores are the tokenizers' (one thread per core raised what the host path
  // sustains: bench:node's sim:zero rows); on the CPU the sessions need them.
  const cores = availableParallelism()
  const tokenizationWorkers =
    settings.tokenizationWorkers ?? (onGpu ? cores : Math.max(1, Math.floor(cores / 2)))
  const tokenizer = new TokenizerPool(
    {
      tokenizerPath: folder.tokenizerPath,
      tokenizerConfigPath: folder.tokenizerConfigPath,
      manifest,
    },
    tokenizationWorkers,
    supervision,
  )
  const threadsRunning = () => started.backends.some((backend) => backend.alive) && !tokenizer.down
  // Infer tokenizes before it queues: while no session runs, a request that needs inference is
  // refused with the restart's retryable 503 before it costs a tokenizer's time.
  const tokenization: Tokenization = {
    encode(inputs, truncate, indices, maxTokens) {
      const down = sessionsDown(started.backends)
      return down ? Promise.reject(down) : tokenizer.encode(inputs, truncate, indices, maxTokens)
    },
  }
  // onnxruntime's CPU kernels compute a float16 graph's MatMul and Softmax in float32 (measured:
  // the fp16 tiny model peaked higher than the fp32 one at 8K tokens); a GPU keeps them in float16.
  const attention = new AttentionBudget(
    manifest.attention_heads ?? null,
    served.floatType === 'float16' && onGpu ? 2 : 4,
    settings.batching.maxAttentionBytes,
  )
  if (!attention.bounded && !fusedAttentionOp(served.graph)) {
    log(
      `[node] attention memory: not bounded, since the head count is unknown (set attention_heads in manifest.json); inputs up to ${manifest.max_input_tokens} tokens are admitted`,
    )
  } else if (attention.longestInput < manifest.max_input_tokens) {
    log(
      `[node] attention memory: inputs over ${attention.longestInput} tokens are refused (MAX_ATTENTION_BYTES ${settings.batching.maxAttentionBytes}; ${manifest.attention_heads} heads × length² scores)`,
    )
  }
  const backends = options.wrapBackends ? options.wrapBackends(started.backends) : started.backends
  const limits = { ...settings.batching, ...(attention.bounded ? { attention } : {}) }
  const stats = new VectorStats(manifest.dimensions, metrics)
  const scheduler = new BatchScheduler(
    backends,
    limits,
    (rows) => padBatch(rows, manifest),
    metrics,
    stats,
  )
  const cache = new VectorCache(settings.vectorCacheBytes, manifest)
  const infer = new Infer(manifest, tokenization, scheduler, cache, limits, metrics)
  const state = new ServingState(threadsRunning)
  const sessions = backends.map((backend) => backend.label)
  const { probeIntervalS, baselineFile, ...thresholds } = settings.monitor
  const monitor = new DriftMonitor(
    { id: manifest.id, revision: manifest.revision, sessions },
    embedProbesOn(tokenizer, backends, manifest, settings.batching.maxBatchRequests),
    stats,
    thresholds,
    {
      probeIntervalS,
      baselineFile,
      metrics,
      log,
      onDriftChange: (drifted) => cache.suspend(drifted),
    },
  )
  const model: ModelInfo = {
    id: manifest.id,
    revision: manifest.revision,
    dimensions: manifest.dimensions,
    max_input_tokens: manifest.max_input_tokens,
    matryoshka: manifest.matryoshka,
    instruction_format: manifest.instruction_format,
    ...(manifest.default_instruction ? { default_instruction: manifest.default_instruction } : {}),
    variant: served.variant,
  }
  const app = createNodeApp({
    monitor,
    infer,
    model,
    metrics,
    state,
    secret: settings.secret,
    scrapeToken: settings.scrapeToken,
    nonces: new NonceMemory(settings.nonceMemorySize),
    sessions,
    isHealthy: threadsRunning,
    maxBatchRequests: settings.batching.maxBatchRequests,
    maxBatchTokens: settings.batching.maxBatchTokens,
    maxInputsPerRequest: settings.maxInputsPerRequest,
    maxBodyBytes: settings.maxBodyBytes,
  })
  return {
    app,
    manifest,
    /** The variant served, its ONNX file and where the folder came from. */
    served,
    folder,
    infer,
    scheduler,
    metrics,
    state,
    sessions,
    monitor,
    /**
     * Loads every tokenizer thread, runs each session on representative shapes, then takes (or
     * loads) the drift baseline from the probe set.
     */
    async warmUp(): Promise<void> {
      await warmUp(tokenizer, backends, manifest, settings.batching, (tokens, seconds) =>
        scheduler.cost.observe(tokens, seconds),
      )
      await monitor.start()
    },
    async close(): Promise<void> {
      monitor.stop()
      await Promise.all([tokenizer.close(), ...started.backends.map((backend) => backend.close())])
    },
  }
}

export type LoadedNode = Awaited<ReturnType<typeof loadNode>>
