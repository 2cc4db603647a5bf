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
 * plus, on the 0.6B shape, GFLOP/s next to a plain MatMul's; then the same node on SIMULATED
 * GPUs (simulated.ts: sim:a10g-qwen3-4b-fp16 on the 4B-slice folder, sim:h100-qwen3-0.6b on the
 * 0.6B-shaped one) at BENCH_SIM_CLIENTS, against a naive server on the same simulated device
 * and the device's own ceiling, with the `sim_*` goals. Each server runs in its own process,
 * idle while another is measured, all with the very session options the node builds
 * (session-options.ts). Contenders and the ceiling are measured in rounds, in turns, and every
 * figure is reported with its spread over rounds. Every cell is bounded in requests and seconds
 * (settings.ts). Prints the date and commit, progress, tables, then one JSON object as the last
 * line.
 */
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from '../../../gpu-node/config.ts'
import { ensureDefaultModel } from '../../default-model/prepare.ts'
import { PRESETS } from '../../tiny-qwen3/config.ts'
import { ensureTinyQwen3 } from '../../tiny-qwen3/generate.ts'
import { benchModel } from './bench-model.ts'
import { describeProvenance, provenance } from '../provenance.ts'
import { printTable, ratiosOf, summaryJson } from './report.ts'
import { describeSessionOptions, resolveSessionSettings } from './session-options.ts'
import { CORES, readSettings } from './settings.ts'
import { useCryptoPrimitives } from '../../../shared/crypto-primitives.ts'
import { nodeCrypto } from '../../../gpu-node/node-crypto.ts'
import { benchSimulated, describeSimulated, simJson, type SimPresetReport } from './simulated.ts'
import {
  HOST_PATH_GOAL_RPS,
  benchHostPath,
  describeHostPath,
  measureInstructionCache,
  type HostPathRow,
  type InstructionCacheGain,
} from './host-path.ts'
import { progressLog } from '../progress-log.ts'
import { describeSpread, spreadOf } from '../spread.ts'

const log = progressLog()

// The load generator signs every call: with the node's own primitives it takes less of the
// cores every contender shares with it.
useCryptoPrimitives(nodeCrypto)
const settings = readSettings()
const stamp = provenance()
const session = resolveSessionSettings(settings)
const topClients = Math.max(...settings.clients)
const secret = randomBytes(24).toString('hex')
const modelsDir = path.join(REPO_ROOT, 'models')
const context = { secret, session, timeoutMs: settings.requestTimeoutMs, log }

const perRound = (total: number, rounds: number) => Math.max(1, Math.round(total / rounds))

log(`measured ${describeProvenance(stamp)}`)
log(`${os.cpus()[0]?.model ?? 'unknown CPU'}, ${CORES} cores, shared with the load generator`)
log(`every contender, the ceiling and the MatMul probe: ${describeSessionOptions(session)}`)
log(
  `clients ${settings.clients.join(', ')}; loopback only; each server in its own process, idle while another is measured`,
)

const defaultDir = await ensureDefaultModel(modelsDir, { log })
const primaryReport = await benchModel(
  {
    modelDir: defaultDir,
    // No Hugging Face architecture matches Universal Sentence Encoder lite; transformers.js
    // falls back to its generic encoder for an unknown model_type.
    hfConfig: { model_type: 'use-lite-en' },
    clients: settings.clients,
    rounds: settings.rounds,
    boundsFor: (clients) => ({
      clients,
      maxRequests: perRound(settings.requests, settings.rounds),
      maxSeconds: settings.seconds / settings.rounds,
      deadlineSeconds: settings.seconds / settings.rounds + settings.drainSeconds,
    }),
    bounds:
      `each cell at most ${settings.seconds} s or ${settings.requests} requests over its rounds, ` +
      `ceiling ${settings.ceilingSeconds} s per batch size per round`,
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
      rounds: settings.largeRounds,
      boundsFor: (clients) => ({
        clients,
        maxRequests: Math.max(clients, perRound(settings.largeRequests, settings.largeRounds)),
        maxSeconds: settings.largeSeconds / settings.largeRounds,
        deadlineSeconds: settings.largeDeadlineSeconds,
      }),
      bounds:
        `each cell per round at most max(clients, ${perRound(settings.largeRequests, settings.largeRounds)}) requests, ` +
        `issued within ${settings.largeSeconds / settings.largeRounds} s, cut at ${settings.largeDeadlineSeconds} s; ` +
        `ceiling ${settings.largeCeilingSeconds} s per batch size per round`,
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

/** Each simulated device, on the model folder of its shape. */
const SIM_PRESETS: { preset: string; folder: '4b-slice' | '0.6b' }[] = [
  { preset: 'a10g-qwen3-4b-fp16', folder: '4b-slice' },
  { preset: 'h100-qwen3-0.6b', folder: '0.6b' },
]
// The goals are at 64 clients; without 64 in BENCH_SIM_CLIENTS, at the largest count.
const simGoalClients = settings.simClients.includes(64) ? 64 : Math.max(...settings.simClients)
const simulated: SimPresetReport[] = []
if (settings.skipSim) log('BENCH_SKIP_SIM=1: skipping the simulated devices')
else
  for (const { preset, folder } of SIM_PRESETS) {
    const modelDir = await ensureTinyQwen3(modelsDir, { preset: folder, log })
    simulated.push(
      await benchSimulated({
        preset,
        modelDir,
        clients: settings.simClients,
        goalClients: simGoalClients,
        rounds: settings.simRounds,
        boundsFor: (clients) => ({
          clients,
          maxRequests: Math.max(clients, settings.simRequests),
          maxSeconds: settings.simSeconds,
          deadlineSeconds: settings.simSeconds + settings.drainSeconds,
        }),
        secret,
        timeoutMs: settings.requestTimeoutMs,
        log,
      }),
    )
  }

// The host path's own ceiling: the same node on a device that takes no time.
let hostPath: HostPathRow[] = []
let instructionCache: InstructionCacheGain | null = null
if (!settings.skipSim) {
  const qwen3Dir = await ensureTinyQwen3(modelsDir, { preset: '0.6b', log })
  hostPath = await benchHostPath({
    modelDir: qwen3Dir,
    clients: [64, 256],
    seconds: settings.simSeconds * settings.simRounds,
    secret,
    timeoutMs: settings.requestTimeoutMs,
    log,
  })
  instructionCache = measureInstructionCache(qwen3Dir)
}

log('done')
printTable(primary.report, primary.ratios)
if (large) printTable(large.report, large.ratios)
console.log(
  `\ngoals (default model, ${topClients} clients): a/d ≥ 0.85, a/b ≥ 4, 1-client p50 a/b ≤ 1.2\n`,
)
for (const report of simulated) {
  console.log('')
  for (const line of describeSimulated(report, simGoalClients)) console.log(line)
}
if (hostPath.length > 0) {
  console.log('')
  for (const line of describeHostPath(hostPath)) console.log(line)
}
if (instructionCache) {
  const { queries, wholeMs, cachedMs, gain, sameIds } = instructionCache
  console.log(
    `tokenizing ${queries} Qwen3 queries behind one instruction, in this process: ` +
      `${describeSpread(spreadOf(wholeMs), 0)} ms whole, ${describeSpread(spreadOf(cachedMs), 0)} ms with ` +
      `the instruction's ids kept; gain ×${describeSpread(gain)} (per round); ids ${sameIds ? 'identical' : 'DIFFER'}`,
  )
}
if (simulated.length > 0)
  console.log(
    `\nsimulated-device goals (${simGoalClients} clients): a/d ≥ 0.85, a/b ≥ 4, device busy ≥ 85%, 1-client p50 a/b ≤ 1.2`,
  )
console.log(`measured ${describeProvenance(stamp)}`)
const simZeroRps = Math.max(...hostPath.map((row) => row.requestsPerSecond))
console.log(
  summaryJson(
    primary,
    large,
    {
      ...settings,
      session_options: describeSessionOptions(session),
      cores: CORES,
      cpu: os.cpus()[0]?.model,
    },
    stamp,
    simulated.length > 0
      ? {
          ...simJson(simulated, simGoalClients),
          sim_zero_requests_per_s: simZeroRps,
          sim_zero_goal_met: simZeroRps >= HOST_PATH_GOAL_RPS,
          sim_zero: hostPath,
          sim_instruction_cache: instructionCache,
        }
      : {},
  ),
)
