/**
 * One set of onnxruntime session options for every contender: the node gets them through its
 * environment (gpu-node/config.ts), the baselines and the ceiling as session options. A ratio
 * between two contenders is only about serving if both ran the graph the same way.
 */
import type * as ort from 'onnxruntime-node'

export interface ThreadSettings {
  /** 0 leaves the choice to onnxruntime (one thread per core), as the node does by default. */
  intraOpThreads: number
  interOpThreads: number
}

/** What the node itself passes to InferenceSession.create on a CPU host. */
export function sessionOptions(threads: ThreadSettings): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(threads.intraOpThreads > 0 ? { intraOpNumThreads: threads.intraOpThreads } : {}),
    ...(threads.interOpThreads > 0 ? { interOpNumThreads: threads.interOpThreads } : {}),
  }
}

/** The same settings as the node's environment variables. */
export function nodeEnv(threads: ThreadSettings): Record<string, string> {
  return {
    EXECUTION_PROVIDERS: 'cpu',
    GRAPH_OPTIMIZATION_LEVEL: 'all',
    INTRA_OP_THREADS: String(threads.intraOpThreads),
    INTER_OP_THREADS: String(threads.interOpThreads),
  }
}

/** Passed to the baseline servers, which read it back with threadsFromEnv. */
export function threadsEnv(threads: ThreadSettings): Record<string, string> {
  return {
    BENCH_INTRA_OP_THREADS: String(threads.intraOpThreads),
    BENCH_INTER_OP_THREADS: String(threads.interOpThreads),
  }
}

export function threadsFromEnv(env: NodeJS.ProcessEnv = process.env): ThreadSettings {
  return {
    intraOpThreads: Number(env.BENCH_INTRA_OP_THREADS || 0),
    interOpThreads: Number(env.BENCH_INTER_OP_THREADS || 0),
  }
}

export function describeThreads(threads: ThreadSettings): string {
  const show = (n: number) => (n > 0 ? String(n) : "onnxruntime's choice")
  return `intra-op threads: ${show(threads.intraOpThreads)}, inter-op threads: ${show(threads.interOpThreads)}`
}
