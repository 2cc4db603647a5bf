/**
 * One set of onnxruntime session options for every contender, built by the node's own
 * `sessionOptions` (gpu-node/backend/onnx-session.ts): the node gets them through its
 * environment, the baselines, the ceiling and the MatMul probe as the very object the node would
 * pass to InferenceSession.create. A ratio between two contenders is only about serving if both
 * ran the graph the same way, so nothing is left to a default that could differ between them:
 * the intra-op thread count is resolved here (the node's own rule when not set) and spinning is
 * explicit (the node's default, off, unless BENCH_INTRA_OP_SPINNING=1).
 */
import type * as ort from 'onnxruntime-node'
import { sessionOptions, type SessionSettings } from '../../../gpu-node/backend/onnx-session.ts'
import type { GraphOptimizationLevel } from '../../../gpu-node/config.ts'
import { CORES } from './settings.ts'

export interface BenchSessionSettings {
  intraOpThreads: number
  /** 0 leaves it to onnxruntime; inter-op threads are used only by parallel execution mode. */
  interOpThreads: number
  intraOpSpinning: boolean
  graphOptimizationLevel: GraphOptimizationLevel
}

/** The settings every contender runs with; a 0 thread count becomes the node's default. */
export function resolveSessionSettings(requested: {
  intraOpThreads: number
  interOpThreads: number
  intraOpSpinning: boolean
}): BenchSessionSettings {
  return {
    // The node's rule with one CPU session (onnx-session.ts intraOpThreadsFor): every core.
    intraOpThreads: requested.intraOpThreads > 0 ? requested.intraOpThreads : CORES,
    interOpThreads: requested.interOpThreads,
    intraOpSpinning: requested.intraOpSpinning,
    graphOptimizationLevel: 'all',
  }
}

/** Exactly what the node passes to InferenceSession.create with these settings, on the CPU. */
export function benchSessionOptions(
  settings: BenchSessionSettings,
): ort.InferenceSession.SessionOptions {
  const nodeSettings: SessionSettings = { ...settings, cpuSessions: 1 }
  return sessionOptions({ name: 'cpu' }, nodeSettings)
}

/** The same settings as the node's environment variables (gpu-node/config.ts). */
export function nodeEnv(settings: BenchSessionSettings): Record<string, string> {
  return {
    EXECUTION_PROVIDERS: 'cpu',
    CPU_SESSIONS: '1',
    GRAPH_OPTIMIZATION_LEVEL: settings.graphOptimizationLevel,
    INTRA_OP_THREADS: String(settings.intraOpThreads),
    INTER_OP_THREADS: String(settings.interOpThreads),
    INTRA_OP_SPINNING: settings.intraOpSpinning ? '1' : '0',
    // The drift monitor re-embeds its probe texts every few minutes; the node stays up through
    // every round, so a probe batch would land in another contender's turn. It still checks at
    // warm-up.
    MONITOR_PROBE_INTERVAL_S: '0',
  }
}

const ENV_NAME = 'BENCH_SESSION_SETTINGS'

/** Passed to the baseline servers, which read it back with sessionSettingsFromEnv. */
export function sessionSettingsEnv(settings: BenchSessionSettings): Record<string, string> {
  return { [ENV_NAME]: JSON.stringify(settings) }
}

export function sessionSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): BenchSessionSettings {
  const raw = env[ENV_NAME]
  if (!raw) throw new Error(`${ENV_NAME} must be set by the benchmark that starts this server`)
  return JSON.parse(raw) as BenchSessionSettings
}

/** The options as onnxruntime sees them, for the output: what every contender ran with. */
export function describeSessionOptions(settings: BenchSessionSettings): string {
  const options = benchSessionOptions(settings)
  return (
    `intra-op threads ${options.intraOpNumThreads}, ` +
    `inter-op threads ${options.interOpNumThreads ?? "onnxruntime's choice (unused: sequential execution)"}, ` +
    `intra-op spinning ${settings.intraOpSpinning ? 'on' : 'off'}, ` +
    `graph optimization ${options.graphOptimizationLevel}`
  )
}
