/**
 * Everything measured on one model. The MatMul peak (for a Qwen3 shape) first, with no server
 * running. Then every contender is started in its own process, checked against the node's
 * vectors on a few probe texts and warmed up; they stay up, idle while another is measured.
 * Then `rounds` rounds: in each, the ceiling and every contender at each client count, in an
 * order that rotates from round to round, so that the machine's drift falls on all of them
 * alike. Each round sends texts no earlier round sent (the node caches vectors).
 */
import { nodeMetrics } from '../node-metrics.ts'
import type { Qwen3Shape } from '../../tiny-qwen3/config.ts'
import { measureCeiling, type CeilingResult } from './ceiling.ts'
import { describeRow, measureCell } from './cell.ts'
import { embedText, type EmbedTarget } from './client.ts'
import { CONTENDERS, startContender } from './contenders.ts'
import { qwen3Flops } from './flops.ts'
import { runLoad, type LoadBounds } from './load.ts'
import { measureMatmulPeak } from './matmul-peak.ts'
import { loadReferenceTokenizer } from './reference-tokenizer.ts'
import { LABELS, SAME_VECTORS, type ContenderName, type ModelReport, type Row } from './report.ts'
import { CannotServeError, type RunningServer } from './server-process.ts'
import { benchSessionOptions, type BenchSessionSettings } from './session-options.ts'
import { STREAM, workloadText } from './workload.ts'

export interface ModelSpec {
  modelDir: string
  /** `config.json` for the transformers.js view of the folder. */
  hfConfig: object
  clients: number[]
  rounds: number
  /** One cell's bounds in one round. */
  boundsFor: (clients: number) => LoadBounds
  bounds: string
  warmup: LoadBounds
  /** secondsPerSize is per round. */
  ceiling: { batchSizes: number[]; texts: number; secondsPerSize: number }
  /** For GFLOP/s and the MatMul peak; null for models that are not Qwen3-shaped. */
  shape: Qwen3Shape | null
  /** Per MatMul size. */
  matmulSecondsPerSize: number
}

const PROBE_TEXTS = 4

interface Started {
  name: ContenderName
  server: RunningServer
  target: EmbedTarget
}

export async function benchModel(
  spec: ModelSpec,
  context: {
    secret: string
    session: BenchSessionSettings
    timeoutMs: number
    log: (line: string) => void
  },
): Promise<ModelReport> {
  const reference = await loadReferenceTokenizer(spec.modelDir)
  const { manifest } = reference.model
  const log = (line: string) => context.log(`[${manifest.id}] ${line}`)
  const flopsOf = spec.shape ? qwen3Flops(spec.shape) : undefined
  const sessionOptions = benchSessionOptions(context.session)
  const tokenCounts = new Map<number, number>()
  const tokensOf = (index: number) => {
    let count = tokenCounts.get(index)
    if (count === undefined)
      tokenCounts.set(index, (count = reference.encode(workloadText(index)).length))
    return count
  }

  const matmul = spec.shape
    ? await measureMatmulPeak({
        k: spec.shape.hiddenSize,
        n: spec.shape.intermediateSize,
        rows: [64, 512, 2048],
        secondsPerSize: spec.matmulSecondsPerSize,
        sessionOptions,
        log,
      })
    : null
  const ceilingRows = Array.from({ length: spec.ceiling.texts }, (_, i) =>
    reference.encode(workloadText(STREAM.ceiling + i)),
  )

  const started: Started[] = []
  const rows: Row[] = []
  const ceilings: CeilingResult[] = []
  const vectorDifference: ModelReport['vectorDifference'] = {}
  let transformersError: string | null = null
  let monitorOverhead: ModelReport['monitorOverhead'] = null
  try {
    let nodeVectors: Float32Array[] = []
    for (const name of CONTENDERS) {
      log(`starting ${LABELS[name]}`)
      let server
      try {
        server = await startContender(name, {
          modelDir: spec.modelDir,
          secret: context.secret,
          session: context.session,
          hfConfig: spec.hfConfig,
        })
      } catch (err) {
        if (name !== 'transformers.js') throw err
        transformersError = err instanceof CannotServeError ? err.reason : (err as Error).message
        log(`${LABELS[name]} cannot serve this model: ${transformersError}`)
        continue
      }
      const target: EmbedTarget = {
        url: server.url,
        secret: context.secret,
        model: manifest.id,
        timeoutMs: context.timeoutMs,
      }
      started.push({ name, server, target })
      const probes: Float32Array[] = []
      for (let i = 0; i < PROBE_TEXTS; i++)
        probes.push((await embedText(target, workloadText(STREAM.probe + i))).vector)
      if (name === 'node') nodeVectors = probes
      const difference = maxDifference(nodeVectors, probes)
      vectorDifference[name] = difference
      log(
        `${LABELS[name]} ready; vectors vs the node's: largest |difference| ${difference.toExponential(1)}` +
          (difference > SAME_VECTORS
            ? ` — WARNING: not the node's vectors, so its figures are not like for like`
            : ''),
      )
      log(
        `warming up ${LABELS[name]} (${spec.warmup.clients} clients, at most ${spec.warmup.maxRequests} requests or ${spec.warmup.maxSeconds} s)`,
      )
      await runLoad(spec.warmup, async (i, signal) => {
        await embedText(target, workloadText(STREAM.warmup + i), signal)
      })
    }

    type Turn = 'ceiling' | Started
    const turns: Turn[] = ['ceiling', ...started]
    for (let round = 0; round < spec.rounds; round++) {
      const order = turns.map((_, i) => turns[(i + round) % turns.length])
      log(
        `round ${round + 1} of ${spec.rounds}: ${order.map((t) => (t === 'ceiling' ? '(d) ceiling' : LABELS[t.name])).join(' → ')}`,
      )
      for (const turn of order) {
        if (turn === 'ceiling') {
          ceilings[round] = await measureCeiling({
            onnxPath: reference.model.onnxPath,
            manifest,
            sessionOptions,
            rows: ceilingRows,
            batchSizes: spec.ceiling.batchSizes,
            secondsPerSize: spec.ceiling.secondsPerSize,
            flopsOf,
            log: (line) => log(`  ${line}`),
          })
          continue
        }
        for (const [level, clients] of spec.clients.entries()) {
          const bounds = spec.boundsFor(clients)
          const row = await measureCell({
            contender: turn.name,
            round,
            target: turn.target,
            serverPid: turn.server.pid,
            bounds,
            first: STREAM.cell(round, level),
            tokensOf,
            flopsOf,
          })
          rows.push(row)
          log(`  ${LABELS[turn.name]}, ${clients} clients: ${describeRow(row)}`)
        }
      }
    }
    const node = started.find((s) => s.name === 'node')
    if (node) {
      monitorOverhead = await monitorShare(node.server.url, context.secret)
      log(
        `node: vector monitoring took ${(monitorOverhead.share * 100).toFixed(3)}% of batch inference time`,
      )
    }
  } finally {
    for (const { name, server } of started) {
      await server.stop()
      log(`stopped ${LABELS[name]}`)
    }
  }

  const sample = Array.from({ length: 1000 }, (_, i) => tokensOf(STREAM.cell(0, 0) + i))
  return {
    model: manifest.id,
    dimensions: manifest.dimensions,
    maxInputTokens: manifest.max_input_tokens,
    bounds: spec.bounds,
    rounds: spec.rounds,
    rows,
    ceilings,
    matmul,
    transformersError,
    vectorDifference,
    meanTokensPerText: sample.reduce((a, b) => a + b, 0) / sample.length,
    monitorOverhead,
  }
}

/** The node's monitoring seconds against its batch inference seconds, from its /metrics. */
async function monitorShare(
  url: string,
  secret: string,
): Promise<NonNullable<ModelReport['monitorOverhead']>> {
  const sum = await nodeMetrics(url, secret)
  const monitorSeconds = sum('te_vector_monitor_duration')
  const inferenceSeconds = sum('te_batch_inference_duration_sum')
  return { monitorSeconds, inferenceSeconds, share: monitorSeconds / inferenceSeconds }
}

function maxDifference(expected: Float32Array[], actual: Float32Array[]): number {
  let max = 0
  expected.forEach((vector, i) => {
    if (actual[i].length !== vector.length) max = Infinity
    else
      for (let j = 0; j < vector.length; j++)
        max = Math.max(max, Math.abs(vector[j] - actual[i][j]))
  })
  return max
}
