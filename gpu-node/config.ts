/**
 * The node's configuration, read once from the environment. Every variable the
 * node reads is here, with its default and what it is for; docs/operating.md's table
 * mirrors this file (test/docs/settings-documented.test.ts checks both ways).
 */
import { devicePreset } from './backend/simulated-device.ts'
import { availableParallelism, totalmem } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseVariant, type ModelVariant } from './model/variants.ts'

/**
 * The node's default body limit: the edge's largest body (16 MiB) plus what templating may add
 * to each of 2048 inputs (an instruction of up to 4096 characters, up to 3 bytes each in UTF-8,
 * and the template around it: 32 KiB is ample). Past it a body cannot have come from the edge.
 */
export const DEFAULT_NODE_MAX_BODY_BYTES = 16 * 1024 * 1024 + 2048 * 32 * 1024

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/**
 * One entry of EXECUTION_PROVIDERS: `cuda:1` is CUDA on device 1, `cpu` the CPU, and
 * `sim:<preset>` a SIMULATED device (backend/simulated-device.ts) that runs no model: each
 * `sim:` entry is one more device, numbered in order.
 */
export type ProviderSpec =
  | { name: 'cuda'; deviceId: number }
  | { name: 'cpu' }
  | { name: 'sim'; preset: string; deviceId: number }

export const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const
export type GraphOptimizationLevel = (typeof GRAPH_OPTIMIZATION_LEVELS)[number]

/** How onnxruntime sessions are made; one session runs one batch at a time. */
export interface SessionConfig {
  /**
   * `EXECUTION_PROVIDERS` (default `cuda,cpu`). Every CUDA entry that loads becomes a session
   * of its own (`cuda:0,cuda:1` serves two GPUs round-robin); `cpu` is the fallback, used
   * only when no CUDA entry loaded. A bare `cuda` means device `CUDA_DEVICE_ID` (default 0).
   */
  executionProviders: ProviderSpec[]
  /** `CPU_SESSIONS` (default 1): sessions on the CPU fallback, e.g. one per socket. */
  cpuSessions: number
  /**
   * `INTRA_OP_THREADS`: threads per session for one operator. Default on CPU: the cores
   * divided among the CPU sessions, so sessions never oversubscribe the machine; on CUDA,
   * onnxruntime's choice.
   */
  intraOpThreads: number
  /** `INTER_OP_THREADS` (default: onnxruntime's choice): only used by parallel execution. */
  interOpThreads: number
  /**
   * `INTRA_OP_SPINNING` (default 0): whether idle intra-op threads spin instead of sleeping.
   * Spinning burns the cores that tokenization and HTTP need between batches, so it is off by
   * default.
   */
  intraOpSpinning: boolean
  /** `GRAPH_OPTIMIZATION_LEVEL`: disabled | basic | extended | all (default all). */
  graphOptimizationLevel: GraphOptimizationLevel
}

/** How inputs become batches, and how much work the node accepts before it says 429. */
export interface BatchingConfig {
  /** `MAX_BATCH_TOKENS` (16384): padded length × batch size never exceeds this. */
  maxBatchTokens: number
  /** `MAX_BATCH_REQUESTS` (32): inputs per batch. */
  maxBatchRequests: number
  /** `MAX_CONCURRENT_REQUESTS` (512): requests being served at once; more get 429 at once. */
  maxConcurrentRequests: number
  /**
   * `MAX_QUEUED_TOKENS` (65536): tokens waiting for a batch; a request that would push the
   * queue past it gets 429 (unless the queue is empty, so one large request can still run).
   */
  maxQueuedTokens: number
  /**
   * `MAX_REQUEST_TOKENS` (300000, as OpenAI's API): tokens one call may compute, all inputs
   * together; past it, 400 before any inference. The edge checks what it can earlier.
   */
  maxRequestTokens: number
  /**
   * `MAX_ATTENTION_BYTES` (default: an eighth of the memory, divided among CPU_SESSIONS): the
   * most attention scores one batch may hold, rows × heads × padded length² × bytes per score,
   * for graphs that build attention from MatMul and Softmax. A longer input runs alone; one that
   * alone needs more is refused with 413. GroupQueryAttention in float32 holds no L² scores.
   * On a GPU, set it from the device's memory: the default reads the host's.
   */
  maxAttentionBytes: number
}

export interface NodeConfig {
  /** `NODE_HOST` (127.0.0.1) and `NODE_PORT` (8081). */
  host: string
  port: number
  /**
   * `MODEL_DIR`: a model folder as downloaded from Hugging Face (config.json, tokenizer.json,
   * onnx/model*.onnx; a hub cache snapshot too), or a generated one with manifest.json.
   */
  modelDir: string
  /** `MODEL_ID`: the public model id (default: the folder's or hub repo's name). */
  modelId: string | undefined
  /**
   * `MODEL_VARIANT`: fp32 | fp16 | q8 | int8 | uint8 | q4 | q4f16 | bnb4 (transformers.js'
   * names for `onnx/model_<suffix>.onnx`). Default: fp16 when a CUDA session loads, else fp32,
   * else whatever the folder has.
   */
  modelVariant: ModelVariant | undefined
  /** `NODE_SECRET` (required): HMAC secret shared with the edge; unsigned requests get 401. */
  secret: string
  /**
   * `SCRAPE_TOKEN` (optional): a bearer token that may read /metrics, /info and /monitor, for a
   * Prometheus scraper; without it only the edge's signed GETs may.
   */
  scrapeToken: string | undefined
  /** `NONCE_MEMORY_SIZE` (200000): nonces kept to refuse replays (router/nonce-memory.ts). */
  nonceMemorySize: number
  session: SessionConfig
  batching: BatchingConfig
  /**
   * `TOKENIZATION_WORKERS`: worker threads that tokenize. Unset (null): every core when the
   * sessions run on a GPU (or a simulated one), whose cores are otherwise idle, as TEI does;
   * half the cores, at least 1, on the CPU, whose sessions need the rest (load-node.ts).
   */
  tokenizationWorkers: number | null
  /** `VECTOR_CACHE_BYTES` (64 MiB; 0 turns it off): node-local cache of recent vectors. */
  vectorCacheBytes: number
  /** `MAX_INPUTS_PER_REQUEST` (2048) and `MAX_BODY_BYTES` (80 MiB: DEFAULT_NODE_MAX_BODY_BYTES). */
  maxInputsPerRequest: number
  maxBodyBytes: number
  /** `SHUTDOWN_TIMEOUT_MS` (30000): how long SIGTERM waits for requests in flight. */
  shutdownTimeoutMs: number
  monitor: MonitorConfig
}

/** How the node watches its vectors for drift (gpu-node/monitor/drift-monitor.ts). */
export interface MonitorConfig {
  /** `MONITOR_PROBE_INTERVAL_S` (300; 0 checks only at warm-up): how often the probes run again. */
  probeIntervalS: number
  /** `MONITOR_BASELINE`: a baseline file from `npm run monitor:baseline`; default: taken at warm-up. */
  baselineFile: string | undefined
  /**
   * `MONITOR_MAX_PROBE_DISTANCE` (0.02): the largest cosine distance a probe may move. fp16
   * against fp32 of the same weights stays under 1e-4 and other weights pass 0.02
   * (gpu-node/monitor/drift.test.ts; docs/monitoring.md).
   */
  maxProbeDistance: number
  /** `MONITOR_MAX_NORM_SHIFT` (3): how far the probes' mean norm may move, in baseline sds. */
  maxNormShift: number
  /** `MONITOR_MAX_CENTROID_DISTANCE` (unset: not judged): the traffic centroid's distance. */
  maxCentroidDistance: number | null
}

/**
 * MAX_ATTENTION_BYTES' default: an eighth of the memory this process may use (the container's
 * limit when there is one), shared among the CPU sessions, which run batches at the same time.
 * The measured peak is about 4× the counted scores plus the model (docs/models.md).
 */
export function defaultMaxAttentionBytes(cpuSessions = 1): number {
  const limit = process.constrainedMemory?.() || 0
  const memory = limit > 0 ? Math.min(limit, totalmem()) : totalmem()
  return Math.floor(memory / 8 / cpuSessions)
}

/** Variables earlier versions read; setting one now is a mistake worth stopping for. */
const RETIRED: Record<string, string> = {
  MAX_BATCH_SIZE: 'set MAX_BATCH_REQUESTS instead',
  MAX_BATCH_WAIT_MS: 'batches now start whenever a session is free; there is no wait to set',
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be an integer ≥ ${min}, got '${raw}'`)
  return value
}

function numberFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a number ≥ 0, got '${raw}'`)
  return value
}

function flagFrom(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (raw !== '0' && raw !== '1') throw new Error(`${name} must be 0 or 1, got '${raw}'`)
  return raw === '1'
}

/** Parses `cuda:0,cuda:1,cpu` or `sim:h100-qwen3-0.6b,sim:h100-qwen3-0.6b`; a bare `cuda` takes `defaultDevice`. */
export function parseProviders(raw: string, defaultDevice: number): ProviderSpec[] {
  let simulated = 0
  const specs = raw
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean)
    .map((entry): ProviderSpec => {
      if (entry.startsWith('sim:')) {
        const preset = devicePreset(entry.slice('sim:'.length)).name
        return { name: 'sim', preset, deviceId: simulated++ }
      }
      const match = /^(cuda|cpu)(?::(\d+))?$/.exec(entry)
      if (!match) {
        throw new Error(
          `EXECUTION_PROVIDERS: cannot read '${entry}' (e.g. cuda:0,cpu, or sim:h100-qwen3-0.6b)`,
        )
      }
      if (match[1] === 'cpu') {
        if (match[2] !== undefined) throw new Error(`EXECUTION_PROVIDERS: 'cpu' takes no device`)
        return { name: 'cpu' }
      }
      return { name: 'cuda', deviceId: match[2] === undefined ? defaultDevice : Number(match[2]) }
    })
  if (specs.length === 0) throw new Error('EXECUTION_PROVIDERS is empty')
  // A simulated device stands in for the GPUs and the CPU alike: mixing them would serve real
  // and stand-in vectors under one revision.
  if (simulated > 0 && simulated !== specs.length)
    throw new Error('EXECUTION_PROVIDERS: sim: entries cannot be mixed with cuda or cpu')
  return specs
}

/**
 * A simulated device answers stand-in vectors: a node must never serve one by a typo in
 * EXECUTION_PROVIDERS, so it takes ALLOW_SIMULATED_DEVICE=1 as well (benchmarks and tests set it).
 */
function simulationAllowed(specs: ProviderSpec[], env: NodeJS.ProcessEnv): ProviderSpec[] {
  if (specs.some((spec) => spec.name === 'sim') && env.ALLOW_SIMULATED_DEVICE !== '1') {
    throw new Error(
      "EXECUTION_PROVIDERS: a sim: device answers stand-in vectors, not the model's; set ALLOW_SIMULATED_DEVICE=1 to run one (benchmarks only)",
    )
  }
  return specs
}

export function providerLabel(spec: ProviderSpec): string {
  if (spec.name === 'sim') return `sim:${spec.preset}#${spec.deviceId}`
  return spec.name === 'cuda' ? `cuda:${spec.deviceId}` : 'cpu'
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  for (const [name, advice] of Object.entries(RETIRED)) {
    if (env[name] !== undefined) throw new Error(`${name} is no longer read: ${advice}`)
  }
  const secret = env.NODE_SECRET ?? ''
  if (secret.length < 16)
    throw new Error('NODE_SECRET must be set to a shared secret of at least 16 characters')
  const level = (env.GRAPH_OPTIMIZATION_LEVEL || 'all').toLowerCase()
  if (!(GRAPH_OPTIMIZATION_LEVELS as readonly string[]).includes(level)) {
    throw new Error(
      `GRAPH_OPTIMIZATION_LEVEL must be one of ${GRAPH_OPTIMIZATION_LEVELS.join(', ')}`,
    )
  }
  const cores = availableParallelism()
  const maxBatchTokens = intFrom(env, 'MAX_BATCH_TOKENS', 16384, 1)
  return {
    host: env.NODE_HOST || '127.0.0.1',
    port: intFrom(env, 'NODE_PORT', 8081),
    modelDir: path.resolve(env.MODEL_DIR || path.join(REPO_ROOT, 'models', 'use-lite-en')),
    modelId: env.MODEL_ID || undefined,
    modelVariant: env.MODEL_VARIANT ? parseVariant(env.MODEL_VARIANT) : undefined,
    secret,
    scrapeToken: scrapeTokenFrom(env),
    nonceMemorySize: intFrom(env, 'NONCE_MEMORY_SIZE', 200_000, 1),
    session: {
      executionProviders: simulationAllowed(
        parseProviders(env.EXECUTION_PROVIDERS || 'cuda,cpu', intFrom(env, 'CUDA_DEVICE_ID', 0)),
        env,
      ),
      cpuSessions: intFrom(env, 'CPU_SESSIONS', 1, 1),
      intraOpThreads: intFrom(env, 'INTRA_OP_THREADS', 0),
      interOpThreads: intFrom(env, 'INTER_OP_THREADS', 0),
      intraOpSpinning: flagFrom(env, 'INTRA_OP_SPINNING', false),
      graphOptimizationLevel: level as GraphOptimizationLevel,
    },
    batching: {
      maxBatchTokens,
      maxBatchRequests: intFrom(env, 'MAX_BATCH_REQUESTS', 32, 1),
      maxConcurrentRequests: intFrom(env, 'MAX_CONCURRENT_REQUESTS', 512, 1),
      maxQueuedTokens: intFrom(env, 'MAX_QUEUED_TOKENS', 65536, 1),
      maxRequestTokens: intFrom(env, 'MAX_REQUEST_TOKENS', 300_000, 1),
      maxAttentionBytes: intFrom(
        env,
        'MAX_ATTENTION_BYTES',
        defaultMaxAttentionBytes(intFrom(env, 'CPU_SESSIONS', 1, 1)),
        1,
      ),
    },
    tokenizationWorkers: env.TOKENIZATION_WORKERS
      ? intFrom(env, 'TOKENIZATION_WORKERS', 1, 1)
      : null,
    vectorCacheBytes: intFrom(env, 'VECTOR_CACHE_BYTES', 64 * 1024 * 1024),
    maxInputsPerRequest: intFrom(env, 'MAX_INPUTS_PER_REQUEST', 2048, 1),
    maxBodyBytes: Math.max(1024, intFrom(env, 'MAX_BODY_BYTES', DEFAULT_NODE_MAX_BODY_BYTES)),
    shutdownTimeoutMs: intFrom(env, 'SHUTDOWN_TIMEOUT_MS', 30_000),
    monitor: monitorConfigFromEnv(env),
  }
}

function scrapeTokenFrom(env: NodeJS.ProcessEnv): string | undefined {
  const token = env.SCRAPE_TOKEN
  if (!token) return undefined
  // A guessable token would open the reports the signature guards.
  if (token.length < 16 || !/^[A-Za-z0-9._~+/-]+=*$/.test(token))
    throw new Error(
      'SCRAPE_TOKEN must be at least 16 characters of a bearer token (A-Z a-z 0-9 . _ ~ + / -)',
    )
  return token
}

/** The MONITOR_* variables alone (tests take the defaults from here too). */
export function monitorConfigFromEnv(env: NodeJS.ProcessEnv): MonitorConfig {
  return {
    probeIntervalS: numberFrom(env, 'MONITOR_PROBE_INTERVAL_S', 300),
    baselineFile: env.MONITOR_BASELINE ? path.resolve(env.MONITOR_BASELINE) : undefined,
    maxProbeDistance: numberFrom(env, 'MONITOR_MAX_PROBE_DISTANCE', 0.02),
    maxNormShift: numberFrom(env, 'MONITOR_MAX_NORM_SHIFT', 3),
    maxCentroidDistance: env.MONITOR_MAX_CENTROID_DISTANCE
      ? numberFrom(env, 'MONITOR_MAX_CENTROID_DISTANCE', 0)
      : null,
  }
}
