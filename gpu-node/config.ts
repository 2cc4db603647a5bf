/** The node's configuration, read once from the environment. */
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export type ExecutionProviderName = 'cuda' | 'cpu'

export interface NodeConfig {
  host: string
  port: number
  /** A model folder: manifest.json, tokenizer.json, model.onnx. */
  modelDir: string
  /** HMAC secret shared with the edge; requests not signed with it get 401. */
  secret: string
  /** Tried in order; the first that loads is used (a log line says when one is skipped). */
  executionProviders: ExecutionProviderName[]
  cudaDeviceId: number
  /** 0 lets onnxruntime choose (one thread per core). */
  intraOpThreads: number
  interOpThreads: number
  maxBatchSize: number
  /** How long a batch waits for company once the first input arrives. */
  maxBatchWaitMs: number
  maxInputsPerRequest: number
  maxBodyBytes: number
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got '${raw}'`)
  return value
}

function providersFrom(raw: string | undefined): ExecutionProviderName[] {
  const names = (raw ?? 'cuda,cpu').split(',').map((name) => name.trim().toLowerCase())
  for (const name of names) {
    if (name !== 'cuda' && name !== 'cpu')
      throw new Error(`EXECUTION_PROVIDERS: unknown provider '${name}'`)
  }
  return names as ExecutionProviderName[]
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const secret = env.NODE_SECRET ?? ''
  if (secret.length < 16)
    throw new Error('NODE_SECRET must be set to a shared secret of at least 16 characters')
  return {
    host: env.NODE_HOST || '127.0.0.1',
    port: intFrom(env, 'NODE_PORT', 8081),
    modelDir: path.resolve(env.MODEL_DIR || path.join(REPO_ROOT, 'models', 'use-lite-en')),
    secret,
    executionProviders: providersFrom(env.EXECUTION_PROVIDERS),
    cudaDeviceId: intFrom(env, 'CUDA_DEVICE_ID', 0),
    intraOpThreads: intFrom(env, 'INTRA_OP_THREADS', 0),
    interOpThreads: intFrom(env, 'INTER_OP_THREADS', 0),
    maxBatchSize: Math.max(1, intFrom(env, 'MAX_BATCH_SIZE', 32)),
    maxBatchWaitMs: intFrom(env, 'MAX_BATCH_WAIT_MS', 2),
    maxInputsPerRequest: Math.max(1, intFrom(env, 'MAX_INPUTS_PER_REQUEST', 2048)),
    maxBodyBytes: Math.max(1024, intFrom(env, 'MAX_BODY_BYTES', 64 * 1024 * 1024)),
  }
}
