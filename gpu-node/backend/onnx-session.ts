/**
 * Session options from configuration, and one onnxruntime session on one
 * execution provider. Which providers to try, and how many sessions, is
 * decided in session-pool.ts; each session lives in its own worker thread.
 */
import { availableParallelism } from 'node:os'
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
