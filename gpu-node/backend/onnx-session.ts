/**
 * Session options from configuration, and one onnxruntime session on one
 * execution provider. Which providers to try, and how many sessions, is
 * decided in session-pool.ts; each session lives in its own worker thread.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import type { ProviderSpec, SessionConfig } from '../config.ts'

export type SessionSettings = Pick<
  SessionConfig,
  'intraOpThreads' | 'interOpThreads' | 'intraOpSpinning' | 'graphOptimizationLevel'
> & {
  /** CPU sessions share the cores; the default intra-op threads divide them. */
  cpuSessions: number
}

/** Intra-op threads for a session: configured, or on CPU the cores shared among CPU sessions. */
export function intraOpThreadsFor(spec: ProviderSpec, settings: SessionSettings): number {
  if (settings.intraOpThreads > 0) return settings.intraOpThreads
  if (spec.name !== 'cpu') return 0
  return Math.max(1, Math.floor(availableParallelism() / settings.cpuSessions))
}

export function sessionOptions(
  spec: ProviderSpec,
  settings: SessionSettings,
): ort.InferenceSession.SessionOptions {
  const intra = intraOpThreadsFor(spec, settings)
  return {
    executionProviders: [spec.name === 'cuda' ? { name: 'cuda', deviceId: spec.deviceId } : 'cpu'],
    graphOptimizationLevel: settings.graphOptimizationLevel,
    ...(intra > 0 ? { intraOpNumThreads: intra } : {}),
    ...(settings.interOpThreads > 0 ? { interOpNumThreads: settings.interOpThreads } : {}),
    // Session config entries (onnxruntime_session_options_config_keys.h), which the Node
    // binding reads from `extra`.
    extra: { session: { intra_op: { allow_spinning: settings.intraOpSpinning ? '1' : '0' } } },
  }
}

/**
 * Whether this onnxruntime-node install carries the CUDA provider library (added by
 * `npm run cuda:install`). Without it, asking for CUDA only makes onnxruntime print
 * a red error about a missing library on every CPU-only start.
 */
export function cudaProviderInstalled(): boolean {
  const bin = path.join(
    path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node')),
    '..',
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
  )
  const library =
    process.platform === 'win32'
      ? 'onnxruntime_providers_cuda.dll'
      : 'libonnxruntime_providers_cuda.so'
  return existsSync(path.join(bin, library))
}

/** Loads the model on one provider; throws with onnxruntime's first line when it cannot. */
export async function createSession(
  onnxPath: string,
  spec: ProviderSpec,
  settings: SessionSettings,
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(onnxPath, sessionOptions(spec, settings))
  } catch (err) {
    throw new Error((err as Error).message.split('\n')[0], { cause: err })
  }
}
