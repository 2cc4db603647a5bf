/**
 * Prometheus metrics, named as text-embeddings-inference names them (`te_*`),
 * on a registry of the node's own (not prom-client's global one), so several
 * nodes in one test process never share counters. The router serves them at
 * `/metrics`; the core records them where each thing happens.
 */
import { performance } from 'node:perf_hooks'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** 0.5 ms … ~33 s: from a tiny model's batch to a long 0.6B-sized request on CPU. */
const SECONDS = [
  0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1, 2, 4, 8, 16, 32,
]
const COUNTS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]
const TOKENS = [16, 64, 256, 1024, 2048, 4096, 8192, 16384, 32768, 65536]

/** Pooled-vector norms, 1e-3 … ~1e5 in steps of ×2: wide, since models differ by orders. */
const NORMS = Array.from({ length: 27 }, (_, i) => 1e-3 * 2 ** i)

export class NodeMetrics {
  readonly registry = new Registry()

  readonly vectorNorm = new Histogram({
    name: 'te_vector_norm',
    help: 'L2 norm of each pooled vector before normalization',
    buckets: NORMS,
    registers: [this.registry],
  })
  readonly vectorDrift = new Gauge({
    name: 'te_vector_drift',
    help: 'Drift from the baseline at the last probe: probe_distance (largest cosine distance), norm_shift (baseline sds), centroid_distance (traffic centroid)',
    labelNames: ['figure'] as const,
    registers: [this.registry],
  })
  readonly vectorProbeFailures = new Counter({
    name: 'te_vector_probe_failures',
    help: 'Drift probe runs that failed (the state keeps its last value meanwhile)',
    registers: [this.registry],
  })
  readonly vectorDrifted = new Gauge({
    name: 'te_vector_drifted',
    help: '1 while the vectors have drifted past a threshold, else 0',
    registers: [this.registry],
  })
  readonly vectorMonitorDuration = new Counter({
    name: 'te_vector_monitor_duration',
    help: 'Seconds spent keeping the vector statistics (norms, centroid, variance), to weigh against te_batch_inference_duration',
    registers: [this.registry],
  })
  readonly vectorInvalid = new Counter({
    name: 'te_vector_invalid',
    help: 'Vectors neither returned nor cached, by reason: nan_or_inf, or zero (all components 0)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  })

  readonly requestCount = new Counter({
    name: 'te_request_count',
    help: 'Embed requests answered, by HTTP status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  })
  readonly requestRejected = new Counter({
    name: 'te_request_rejected',
    help: 'Requests refused with 429, by the limit they hit (concurrency or queued_tokens)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  })
  readonly requestDropped = new Counter({
    name: 'te_request_dropped',
    help: 'Inputs dropped before inference because their client had gone',
    registers: [this.registry],
  })
  readonly requestsInFlight = new Gauge({
    name: 'te_request_in_flight',
    help: 'Embed requests being served now',
    registers: [this.registry],
  })
  readonly requestDuration = new Histogram({
    name: 'te_request_duration',
    help: 'Seconds from receiving an embed request to its answer',
    buckets: SECONDS,
    registers: [this.registry],
  })
  readonly tokenizationDuration = new Histogram({
    name: 'te_request_tokenization_duration',
    help: "Seconds spent tokenizing a request's inputs (worker threads, queueing included)",
    buckets: SECONDS,
    registers: [this.registry],
  })
  readonly queueDuration = new Histogram({
    name: 'te_request_queue_duration',
    help: "Seconds a request's inputs waited before their first batch started",
    buckets: SECONDS,
    registers: [this.registry],
  })
  readonly inferenceDuration = new Histogram({
    name: 'te_request_inference_duration',
    help: "Seconds from a request's first batch starting to its last batch ending",
    buckets: SECONDS,
    registers: [this.registry],
  })
  readonly inputLength = new Histogram({
    name: 'te_request_input_length',
    help: 'Tokens per input, after truncation and special tokens',
    buckets: TOKENS,
    registers: [this.registry],
  })
  readonly queueSize = new Gauge({
    name: 'te_queue_size',
    help: 'Inputs waiting for a batch',
    registers: [this.registry],
  })
  readonly queueTokens = new Gauge({
    name: 'te_queue_tokens',
    help: 'Tokens waiting for a batch',
    registers: [this.registry],
  })
  readonly batchSize = new Histogram({
    name: 'te_batch_next_size',
    help: 'Inputs per batch',
    buckets: COUNTS,
    registers: [this.registry],
  })
  readonly batchTokens = new Histogram({
    name: 'te_batch_next_tokens',
    help: 'Padded tokens per batch (rows × padded length)',
    buckets: TOKENS,
    registers: [this.registry],
  })
  readonly batchInferenceDuration = new Histogram({
    name: 'te_batch_inference_duration',
    help: 'Seconds one batch took in its session',
    labelNames: ['session'] as const,
    buckets: SECONDS,
    registers: [this.registry],
  })
  readonly deviceBusy = new Counter({
    name: 'te_device_busy_seconds',
    help: "Seconds each session's device worked on batches (session.run, or a simulated device's cost); over wall time: how busy it is",
    labelNames: ['session'] as const,
    registers: [this.registry],
  })
  readonly batchPaddingRatio = new Histogram({
    name: 'te_batch_padding_ratio',
    help: 'Share of a batch that is padding: 1 − real tokens / padded tokens',
    buckets: [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
    registers: [this.registry],
  })
  readonly paddingTokens = new Counter({
    name: 'te_batch_padding_tokens',
    help: 'Padding tokens computed and thrown away (the waste of batching unequal lengths)',
    registers: [this.registry],
  })
  readonly batchOverheadTokens = new Gauge({
    name: 'te_batch_overhead_tokens',
    help: 'Fixed cost of one batch run, in padded tokens, as learned from batch durations',
    registers: [this.registry],
  })
  readonly cacheHits = new Counter({
    name: 'te_embed_cache_hits',
    help: 'Inputs answered from the node-local vector cache',
    registers: [this.registry],
  })
  readonly cacheMisses = new Counter({
    name: 'te_embed_cache_misses',
    help: 'Inputs that needed inference',
    registers: [this.registry],
  })
  readonly cacheBytes = new Gauge({
    name: 'te_embed_cache_bytes',
    help: 'Bytes held by the node-local vector cache',
    registers: [this.registry],
  })
  readonly threadRestarts = new Counter({
    name: 'te_thread_restarts',
    help: 'Worker threads started again after one died (each attempt counts), by kind: session or tokenizer',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  })

  /** The event loop's busy time when last collected: a counter only ever adds what is new. */
  private mainThreadCounted = 0
  readonly mainThreadBusy = new Counter({
    name: 'te_main_thread_busy_seconds',
    help: 'Seconds the main thread (HTTP, signatures, queue, framing) has been busy; its increase over wall time is how full the one event loop is',
    registers: [this.registry],
    collect: () => {
      const busy = performance.eventLoopUtilization().active / 1000
      if (busy > this.mainThreadCounted) this.mainThreadBusy.inc(busy - this.mainThreadCounted)
      this.mainThreadCounted = busy
    },
  })

  constructor(options: { processMetrics?: boolean } = {}) {
    // Process metrics (event-loop lag, heap, CPU) help read the te_* ones; one set per process.
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry })
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}
