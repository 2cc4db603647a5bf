import { availableParallelism, totalmem } from 'node:os'
import { describe, expect, it } from 'vitest'
import { intraOpThreadsFor, sessionOptions } from './backend/onnx-session.ts'
import { configFromEnv, defaultMaxAttentionBytes, parseProviders } from './config.ts'

const secret = { NODE_SECRET: 'a-secret-of-enough-length' }

describe('configFromEnv', () => {
  it('reads execution providers with device ids, cuda:0,cuda:1,cpu style', () => {
    expect(parseProviders('cuda:0, CUDA:1 ,cpu', 0)).toEqual([
      { name: 'cuda', deviceId: 0 },
      { name: 'cuda', deviceId: 1 },
      { name: 'cpu' },
    ])
    const config = configFromEnv({ ...secret, EXECUTION_PROVIDERS: 'cuda', CUDA_DEVICE_ID: '3' })
    expect(config.session.executionProviders).toEqual([{ name: 'cuda', deviceId: 3 }])
    expect(() => parseProviders('tensorrt', 0)).toThrow(/cannot read 'tensorrt'/)
    expect(() => parseProviders('cpu:1', 0)).toThrow(/takes no device/)
  })

  it('has defaults that fit one CPU session, and reads every batching and admission limit', () => {
    const defaults = configFromEnv(secret)
    expect(defaults.session).toMatchObject({
      executionProviders: [{ name: 'cuda', deviceId: 0 }, { name: 'cpu' }],
      cpuSessions: 1,
      graphOptimizationLevel: 'all',
      intraOpSpinning: false,
    })
    expect(defaults.batching).toEqual({
      maxBatchTokens: 16384,
      maxBatchRequests: 32,
      maxConcurrentRequests: 512,
      maxQueuedTokens: 65536,
      maxRequestTokens: 300_000,
      maxAttentionBytes: defaultMaxAttentionBytes(1),
    })
    expect(defaultMaxAttentionBytes(1)).toBeLessThanOrEqual(totalmem() / 8)
    // CPU sessions run batches at once, in one memory: the default budget is shared.
    const twoSessions = configFromEnv({ ...secret, CPU_SESSIONS: '2' })
    expect(twoSessions.batching.maxAttentionBytes).toBe(defaultMaxAttentionBytes(2))
    expect(defaultMaxAttentionBytes(2)).toBe(Math.floor(defaultMaxAttentionBytes(1) / 2))
    expect(defaults).toMatchObject({ modelId: undefined, modelVariant: undefined })
    const set = configFromEnv({
      ...secret,
      MAX_BATCH_TOKENS: '4096',
      MAX_BATCH_REQUESTS: '8',
      MAX_CONCURRENT_REQUESTS: '16',
      MAX_QUEUED_TOKENS: '9000',
      TOKENIZATION_WORKERS: '3',
      VECTOR_CACHE_BYTES: '0',
      GRAPH_OPTIMIZATION_LEVEL: 'basic',
      CPU_SESSIONS: '2',
      INTRA_OP_SPINNING: '1',
      SHUTDOWN_TIMEOUT_MS: '5000',
      MAX_ATTENTION_BYTES: '1073741824',
      MODEL_ID: 'my-embedder',
      MODEL_VARIANT: 'Q4F16',
    })
    expect(set.batching).toEqual({
      maxBatchTokens: 4096,
      maxBatchRequests: 8,
      maxConcurrentRequests: 16,
      maxQueuedTokens: 9000,
      maxRequestTokens: 300_000,
      maxAttentionBytes: 1073741824,
    })
    expect(set).toMatchObject({
      modelId: 'my-embedder',
      modelVariant: 'q4f16',
      tokenizationWorkers: 3,
      vectorCacheBytes: 0,
      shutdownTimeoutMs: 5000,
      session: { graphOptimizationLevel: 'basic', cpuSessions: 2, intraOpSpinning: true },
    })
  })

  it('stops on bad values and on variables that are no longer read', () => {
    expect(() => configFromEnv({})).toThrow(/NODE_SECRET/)
    expect(() => configFromEnv({ ...secret, MAX_BATCH_TOKENS: '0' })).toThrow(/MAX_BATCH_TOKENS/)
    expect(() => configFromEnv({ ...secret, GRAPH_OPTIMIZATION_LEVEL: 'max' })).toThrow(
      /GRAPH_OPTIMIZATION_LEVEL/,
    )
    expect(() => configFromEnv({ ...secret, MAX_BATCH_SIZE: '8' })).toThrow(/MAX_BATCH_REQUESTS/)
    expect(() => configFromEnv({ ...secret, MODEL_VARIANT: 'int4' })).toThrow(
      /MODEL_VARIANT must be one of fp32, fp16, q8/,
    )
  })
})

describe('session options', () => {
  const settings = {
    intraOpThreads: 0,
    interOpThreads: 0,
    intraOpSpinning: false,
    graphOptimizationLevel: 'extended' as const,
    cpuSessions: 1,
  }

  it('gives one CPU session every core and several CPU sessions a share each, never more', () => {
    const cores = availableParallelism()
    expect(intraOpThreadsFor({ name: 'cpu' }, settings)).toBe(cores)
    const shared = intraOpThreadsFor({ name: 'cpu' }, { ...settings, cpuSessions: cores * 2 })
    expect(shared).toBe(1)
    expect(intraOpThreadsFor({ name: 'cpu' }, { ...settings, intraOpThreads: 7 })).toBe(7)
  })

  it('puts the provider, its device, the threads and the optimization level in the options', () => {
    expect(
      sessionOptions({ name: 'cuda', deviceId: 1 }, { ...settings, interOpThreads: 2 }),
    ).toEqual({
      executionProviders: [{ name: 'cuda', deviceId: 1 }],
      graphOptimizationLevel: 'extended',
      interOpNumThreads: 2,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    })
    expect(sessionOptions({ name: 'cpu' }, settings)).toMatchObject({
      executionProviders: ['cpu'],
      intraOpNumThreads: availableParallelism(),
    })
  })
})
