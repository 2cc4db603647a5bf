/**
 * A real node for tests: the same composition main.ts serves (real sessions
 * on worker threads, real tokenization workers), loaded from a model folder on
 * the CPU, warmed up and ready, with settings a test may override.
 */
import { defaultMaxAttentionBytes, monitorConfigFromEnv } from '../../gpu-node/config.ts'
import { loadNode, type LoadOptions, type NodeSettings } from '../../gpu-node/load-node.ts'

export const TEST_SECRET = 'node-test-secret-0123456789'
/** The test nodes' SCRAPE_TOKEN: a bearer token that may read /metrics, /info, /monitor. */
export const TEST_SCRAPE_TOKEN = 'node-test-scrape-token-0123'

export type TestNodeOverrides = Partial<Omit<NodeSettings, 'batching' | 'session'>> & {
  batching?: Partial<NodeSettings['batching']>
  session?: Partial<NodeSettings['session']>
}

/** Session settings for tests: one CPU session unless overridden. */
export function testSessionConfig(
  overrides: Partial<NodeSettings['session']> = {},
): NodeSettings['session'] {
  return {
    executionProviders: [{ name: 'cpu' }],
    cpuSessions: 1,
    // Test files run side by side: one thread per session keeps them from fighting for cores.
    intraOpThreads: 1,
    interOpThreads: 0,
    intraOpSpinning: false,
    graphOptimizationLevel: 'all',
    ...overrides,
  }
}

export function testSettings(modelDir: string, overrides: TestNodeOverrides = {}): NodeSettings {
  return {
    modelDir,
    modelId: undefined,
    modelVariant: undefined,
    secret: TEST_SECRET,
    scrapeToken: TEST_SCRAPE_TOKEN,
    nonceMemorySize: 10_000,
    tokenizationWorkers: 1,
    vectorCacheBytes: 1024 * 1024,
    maxInputsPerRequest: 2048,
    maxBodyBytes: 1024 * 1024,
    // Probes run at warm-up; a test that wants them again calls `node.monitor.check()`.
    monitor: monitorConfigFromEnv({ MONITOR_PROBE_INTERVAL_S: '0' }),
    ...overrides,
    session: testSessionConfig(overrides.session),
    batching: {
      maxBatchTokens: 16384,
      maxBatchRequests: 32,
      maxConcurrentRequests: 512,
      maxQueuedTokens: 65536,
      maxRequestTokens: 300_000,
      maxAttentionBytes: defaultMaxAttentionBytes(),
      ...overrides.batching,
    },
  }
}

export async function startTestNode(
  modelDir: string,
  overrides: TestNodeOverrides = {},
  options: LoadOptions = {},
) {
  const node = await loadNode(testSettings(modelDir, overrides), { log: () => {}, ...options })
  // A node that cannot warm up (say, a baseline it refuses) must not leave its threads behind.
  await node.warmUp().catch(async (err: unknown) => {
    await node.close()
    throw err
  })
  node.state.ready = true
  return node
}
