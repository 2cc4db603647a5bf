/**
 * `npm run bench:node`: how well the inference node uses this machine, in one run, next to what
 * a Node user would otherwise run. On the default model and on the 0.6B-shaped Qwen3, at 1, 8
 * and 64 concurrent clients sending single texts of realistic, varied lengths:
 *
 *   (a) the node, over HTTP as the edge calls it (signed POST /internal/embed)
 *   (b) a naive server: one session.run per request
 *   (c) @huggingface/transformers' feature-extraction pipeline, per request, if it can load the model
 *   (d) the ceiling: session.run alone at the best batch size on pre-tokenized input
 *
 * plus, on the 0.6B shape, GFLOP/s next to a plain MatMul's. Servers run one at a time, each in
 * its own process, with the same onnxruntime settings. Every cell is bounded in requests and
 * seconds (settings.ts). Prints progress, tables, then one JSON object as the last line.
 */
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from '../../../gpu-node/config.ts'
import { ensureDefaultModel } from '../../default-model/prepare.ts'
import { PRESETS } from '../../tiny-qwen3/config.ts'
import { ensureTinyQwen3 } from '../../tiny-qwen3/generate.ts'
import { benchModel } from './bench-model.ts'
import { printTable, ratiosOf, summaryJson } from './report.ts'
import { describeThreads, type ThreadSettings } from './session-options.ts'
import { CORES, readSettings } from './settings.ts'

const started = performance.now()
const log = (line: string) =>
  console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`)

const settings = readSettings()
const threads: ThreadSettings = {
  intraOpThreads: settings.intraOpThreads,
  interOpThreads: settings.interOpThreads,
}
const topClients = Math.max(...settings.clients)
const secret = randomBytes(24).toString('hex')
const modelsDir = path.join(REPO_ROOT, 'models')
const context = { secret, threads, timeoutMs: settings.requestTimeoutMs, log }

log(
  `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${CORES} cores; ${describeThreads(threads)} for every contender`,
)
log(`clients ${settings.clients.join(', ')}; loopback only; servers run one at a time`)

const defaultDir = await ensureDefaultModel(modelsDir, { log })
const primaryReport = await benchModel(
  {
    modelDir: defaultDir,
    // No Hugging Face architecture matches Universal Sentence Encoder lite; transformers.js
    // falls back to its generic encoder for an unknown model_type.
    hfConfig: { model_type: 'use-lite-en' },
    clients: settings.clients,
    boundsFor: (clients) => ({
      clients,
      maxRequests: settings.requests,
      maxSeconds: settings.seconds,
      deadlineSeconds: settings.seconds + settings.drainSeconds,
    }),
    bounds: `each cell at most ${settings.seconds} s or ${settings.requests} requests`,
    warmup: {
      clients: topClients,
      maxRequests: 1000,
      maxSeconds: settings.warmupSeconds,
      deadlineSeconds: settings.warmupSeconds + settings.drainSeconds,
    },
    ceiling: {
      batchSizes: [1, 8, 16, 32, 64, 128],
      texts: 512,
      secondsPerSize: settings.ceilingSeconds,
    },
    shape: null,
    matmulSecondsPerSize: 0,
  },
  context,
)
const primary = { report: primaryReport, ratios: ratiosOf(primaryReport, topClients) }

let large = null
if (settings.skipLarge) {
  log('BENCH_SKIP_LARGE=1: skipping the 0.6B-shaped model')
} else {
  const shape = PRESETS['0.6b']
  const largeDir = await ensureTinyQwen3(modelsDir, { preset: '0.6b', log })
  const largeReport = await benchModel(
    {
      modelDir: largeDir,
      hfConfig: {
        model_type: 'qwen3',
        architectures: ['Qwen3Model'],
        hidden_size: shape.hiddenSize,
        intermediate_size: shape.intermediateSize,
        num_hidden_layers: shape.numLayers,
        num_attention_heads: shape.numHeads,
        num_key_value_heads: shape.numKvHeads,
        head_dim: shape.headDim,
        vocab_size: shape.vocabSize,
        max_position_embeddings: shape.maxInputTokens,
        rms_norm_eps: shape.rmsNormEps,
        rope_theta: shape.ropeTheta,
      },
      clients: settings.clients,
      boundsFor: (clients) => ({
        clients,
        maxRequests: Math.max(clients, settings.largeRequests),
        maxSeconds: settings.largeSeconds,
        deadlineSeconds: settings.largeDeadlineSeconds,
      }),
      bounds:
        `each cell at most max(clients, ${settings.largeRequests}) requests, ` +
        `issued within ${settings.largeSeconds} s, cut at ${settings.largeDeadlineSeconds} s`,
      warmup: {
        clients: 2,
        maxRequests: 2,
        maxSeconds: settings.warmupSeconds,
        deadlineSeconds: settings.largeDeadlineSeconds,
      },
      ceiling: {
        batchSizes: [1, 4, 16],
        // Enough texts that a batch of 16 holds texts of similar length, as a good batcher's would.
        texts: 160,
        secondsPerSize: settings.largeCeilingSeconds,
      },
      shape,
      matmulSecondsPerSize: settings.ceilingSeconds,
    },
    context,
  )
  large = { report: largeReport, ratios: ratiosOf(largeReport, topClients) }
}

log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`)
printTable(primary.report, primary.ratios)
if (large) printTable(large.report, large.ratios)
console.log(
  `\ngoals (default model, ${topClients} clients): a/d ≥ 0.85, a/b ≥ 4, 1-client p50 a/b ≤ 1.2\n`,
)
console.log(summaryJson(primary, large, { ...settings, cores: CORES, cpu: os.cpus()[0]?.model }))
