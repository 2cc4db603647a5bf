/**
 * Everything measured on one model: the ceiling (and, for a Qwen3 shape, the MatMul peak)
 * first, with no server running; then each contender in turn, alone on the machine: started,
 * checked against the node's vectors on a few probe texts, warmed up, then loaded at each
 * client count with the same texts, and stopped.
 */
import { fetchSigned } from '../../../shared/signed-calls.ts'
import type { Qwen3Shape } from '../../tiny-qwen3/config.ts'
import { measureCeiling } from './ceiling.ts'
import { describeRow, measureCell } from './cell.ts'
import { embedText, type EmbedTarget } from './client.ts'
import { CONTENDERS, startContender } from './contenders.ts'
import { qwen3Flops } from './flops.ts'
import { runLoad, type LoadBounds } from './load.ts'
import { measureMatmulPeak } from './matmul-peak.ts'
import { loadReferenceTokenizer } from './reference-tokenizer.ts'
import { LABELS, SAME_VECTORS, type ModelReport, type Row } from './report.ts'
import { CannotServeError } from './server-process.ts'
import { sessionOptions, type ThreadSettings } from './session-options.ts'
import { STREAM, workloadText } from './workload.ts'

export interface ModelSpec {
  modelDir: string
  /** `config.json` for the transformers.js view of the folder. */
  hfConfig: object
  clients: number[]
  boundsFor: (clients: number) => LoadBounds
  bounds: string
  warmup: LoadBounds
  ceiling: { batchSizes: number[]; texts: number; secondsPerSize: number }
  /** For GFLOP/s and the MatMul peak; null for models that are not Qwen3-shaped. */
  shape: Qwen3Shape | null
  /** Per MatMul size. */
  matmulSecondsPerSize: number
}

const PROBE_TEXTS = 4

export async function benchModel(
  spec: ModelSpec,
  context: {
    secret: string
    threads: ThreadSettings
    timeoutMs: number
    log: (line: string) => void
  },
): Promise<ModelReport> {
  const reference = await loadReferenceTokenizer(spec.modelDir)
  const { manifest } = reference.model
  const log = (line: string) => context.log(`[${manifest.id}] ${line}`)
  const flopsOf = spec.shape ? qwen3Flops(spec.shape) : undefined
  const tokenCounts = new Map<number, number>()
  const tokensOf = (index: number) => {
    let count = tokenCounts.get(index)
    if (count === undefined)
      tokenCounts.set(index, (count = reference.encode(workloadText(index)).length))
    return count
  }

  log(
    `ceiling (d): session.run on pre-tokenized batches, batch sizes ${spec.ceiling.batchSizes.join(', ')}`,
  )
  const ceilingRows = Array.from({ length: spec.ceiling.texts }, (_, i) =>
    reference.encode(workloadText(STREAM.ceiling + i)),
  )
  const ceiling = await measureCeiling({
    onnxPath: reference.model.onnxPath,
    manifest,
    sessionOptions: sessionOptions(context.threads),
    rows: ceilingRows,
    batchSizes: spec.ceiling.batchSizes,
    secondsPerSize: spec.ceiling.secondsPerSize,
    flopsOf,
    log,
  })
  const matmul = spec.shape
    ? await measureMatmulPeak({
        k: spec.shape.hiddenSize,
        n: spec.shape.intermediateSize,
        rows: [64, 512, 2048],
        secondsPerSize: spec.matmulSecondsPerSize,
        sessionOptions: sessionOptions(context.threads),
        log,
      })
    : null

  const rows: Row[] = []
  const vectorDifference: ModelReport['vectorDifference'] = {}
  let nodeVectors: Float32Array[] = []
  let transformersError: string | null = null
  let monitorOverhead: ModelReport['monitorOverhead'] = null
  for (const name of CONTENDERS) {
    log(`starting ${LABELS[name]}`)
    let server
    try {
      server = await startContender(name, {
        modelDir: spec.modelDir,
        secret: context.secret,
        threads: context.threads,
        hfConfig: spec.hfConfig,
      })
    } catch (err) {
      if (name !== 'transformers.js') throw err
      transformersError = err instanceof CannotServeError ? err.reason : (err as Error).message
      log(`${LABELS[name]} cannot serve this model: ${transformersError}`)
      continue
    }
    try {
      const target: EmbedTarget = {
        url: server.url,
        secret: context.secret,
        model: manifest.id,
        timeoutMs: context.timeoutMs,
      }
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

      for (const [level, clients] of spec.clients.entries()) {
        const bounds = spec.boundsFor(clients)
        const first = STREAM.level(level)
        log(
          `${LABELS[name]}: ${clients} clients, at most ${bounds.maxRequests} requests or ${bounds.maxSeconds} s, cut at ${bounds.deadlineSeconds} s`,
        )
        const row = await measureCell({
          contender: name,
          target,
          serverPid: server.pid,
          bounds,
          first,
          tokensOf,
          flopsOf,
        })
        rows.push(row)
        log(`  ${describeRow(row)}`)
      }
      if (name === 'node') {
        monitorOverhead = await monitorShare(server.url, context.secret)
        log(
          `node: vector monitoring took ${(monitorOverhead.share * 100).toFixed(3)}% of batch inference time`,
        )
      }
    } finally {
      await server.stop()
      log(`stopped ${LABELS[name]}`)
    }
  }

  const sample = Array.from({ length: 1000 }, (_, i) => tokensOf(STREAM.level(0) + i))
  return {
    model: manifest.id,
    dimensions: manifest.dimensions,
    maxInputTokens: manifest.max_input_tokens,
    bounds: spec.bounds,
    rows,
    ceiling,
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
  const text = await (await fetchSigned(url, '/metrics', secret)).text()
  const sum = (metric: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(metric))
      .reduce((total, line) => total + Number(line.split(' ').at(-1)), 0)
  const monitorSeconds = sum('te_vector_monitor_duration ')
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
