/**
 * bench:node's host-path ceiling: the node on `sim:zero`, a SIMULATED device that takes no time
 * at all, so every request/s it sustains is what its host side allows on this machine: HTTP,
 * the signature checks, JSON, cache keys, tokenization, the queue, padding and framing. Single
 * short texts (the workload's, cut to 120 characters, each distinct) from many clients; the load
 * generator shares the same two cores. Reports requests/s, p50/p99, the host CPU per request,
 * how busy the node's main thread was, and where a request's time went by the node's own
 * timing metrics (means over the cell).
 */
import {
  describeStages,
  nodeMetrics,
  stageMeansMs,
  stageSums,
  type StageMeansMs,
  type StageSums,
} from '../node-metrics.ts'
import { startInferenceNode } from '../../dev/inference-node-process.ts'
import { embedText, type EmbedTarget } from './client.ts'
import { meterCores, serverCpuUsPer } from './cpu-meter.ts'
import { percentile } from '../spread.ts'
import { runLoad } from './load.ts'
import { loadReferenceTokenizer } from './reference-tokenizer.ts'
import { STREAM, workloadText } from './workload.ts'
import { openModel } from '../../../gpu-node/model/model-folder.ts'
import { TextTokenizer } from '../../../gpu-node/tokenization/text-tokenizer.ts'
import { spreadOf, type Spread } from '../spread.ts'
import { fixed, percent, table } from '../table.ts'

/** The goal for the host path alone on this 2-core machine, load generator included. */
export const HOST_PATH_GOAL_RPS = 2000

export interface HostPathRow {
  clients: number
  requests: number
  errors: number
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  /** CPU time of the node's process (every thread) per request, in µs. */
  hostCpuUsPerRequest: number | null
  /** The node's main thread: busy seconds over wall seconds. */
  mainThreadBusy: number
  serverCores: number | null
  clientCores: number
  /** Mean ms per request of each stage, by the node's own histograms. */
  stagesMs: StageMeansMs
}

/** The i-th short text: the workload's text, cut to 120 characters (each still distinct). */
function queryText(i: number): string {
  return workloadText(STREAM.cell(49, 15) + i).slice(0, 120)
}

async function readings(url: string, secret: string): Promise<{ stages: StageSums; main: number }> {
  const value = await nodeMetrics(url, secret)
  return { stages: stageSums(value), main: value('te_main_thread_busy_seconds') }
}

export async function benchHostPath(options: {
  modelDir: string
  clients: number[]
  seconds: number
  secret: string
  timeoutMs: number
  log: (line: string) => void
  /** The simulated device; `zero` (no device time) measures the host path alone. */
  preset?: string
}): Promise<HostPathRow[]> {
  const { modelDir, secret, log, preset = 'zero' } = options
  const { manifest } = (await loadReferenceTokenizer(modelDir)).model
  log(`host path: starting the node on sim:${preset} (a SIMULATED device)`)
  const node = await startInferenceNode({
    modelDir,
    secret,
    env: {
      EXECUTION_PROVIDERS: `sim:${preset}`,
      ALLOW_SIMULATED_DEVICE: '1',
      MAX_BATCH_REQUESTS: '256',
      MONITOR_PROBE_INTERVAL_S: '0',
    },
  })
  const target: EmbedTarget = {
    url: node.url,
    secret,
    model: manifest.id,
    timeoutMs: options.timeoutMs,
  }
  let next = 0
  const send = async (_: number, signal: AbortSignal) =>
    void (await embedText(target, queryText(next++), signal))
  try {
    await runLoad({ clients: 16, maxRequests: 2000, maxSeconds: 2, deadlineSeconds: 30 }, send)
    const rows: HostPathRow[] = []
    for (const clients of options.clients) {
      const before = await readings(node.url, secret)
      const stopMeter = meterCores(node.process.pid!)
      const result = await runLoad(
        {
          clients,
          maxRequests: 1_000_000,
          maxSeconds: options.seconds,
          deadlineSeconds: options.seconds + 30,
        },
        send,
      )
      const cores = stopMeter()
      const after = await readings(node.url, secret)
      const requests = result.completed.length
      const row: HostPathRow = {
        clients,
        requests,
        errors: result.errors,
        requestsPerSecond: requests / result.seconds,
        p50Ms: percentile(result.latenciesMs, 50),
        p99Ms: percentile(result.latenciesMs, 99),
        hostCpuUsPerRequest: serverCpuUsPer(cores, result.seconds, requests),
        mainThreadBusy: (after.main - before.main) / result.seconds,
        serverCores: cores.server,
        clientCores: cores.client,
        stagesMs: stageMeansMs(before.stages, after.stages),
      }
      log(
        `host path × ${clients}: ${row.requestsPerSecond.toFixed(0)} requests/s, p50 ${row.p50Ms.toFixed(1)} ms, ` +
          `${fixed(row.hostCpuUsPerRequest, 0)} µs of node CPU per request, main thread ` +
          `${percent(row.mainThreadBusy)} busy` +
          (row.errors ? `, ${row.errors} errors (first: ${result.firstError})` : ''),
      )
      rows.push(row)
    }
    return rows
  } finally {
    await node.stop()
  }
}

/** The host-path rows as lines. */
export function describeHostPath(rows: HostPathRow[]): string[] {
  return [
    `host path on sim:zero (a SIMULATED device that takes no time; short single texts; goal ≥ ${HOST_PATH_GOAL_RPS} requests/s, load generator on the same cores)`,
    table(rows, {
      clients: (r) => r.clients,
      'req/s': (r) => fixed(r.requestsPerSecond, 0),
      'p50 ms': (r) => fixed(r.p50Ms, 2),
      'p99 ms': (r) => fixed(r.p99Ms, 2),
      'node µs/req': (r) => fixed(r.hostCpuUsPerRequest, 0),
      'main thread': (r) => percent(r.mainThreadBusy),
      'server cores': (r) => fixed(r.serverCores, 2),
      'client cores': (r) => fixed(r.clientCores, 2),
      'node ms per request: total = tokenization + queue + inference (+ the rest)': (r) =>
        describeStages(r.stagesMs),
      errors: (r) => r.errors,
    }),
  ]
}

export interface InstructionCacheGain {
  queries: number
  /** ms to tokenize every query whole, and with the instruction's ids kept, per round. */
  wholeMs: number[]
  cachedMs: number[]
  /** whole ÷ cached, within each round. */
  gain: Spread | null
  /** Every query got the same ids both ways. */
  sameIds: boolean
}

const INSTRUCTION = 'Given a web search query, retrieve relevant passages that answer the query'

/**
 * What keeping a Qwen3 query's instruction ids saves (gpu-node/tokenization/text-tokenizer.ts):
 * the workload's queries behind a typical instruction, tokenized whole and with the cache, in
 * this process, in alternating rounds; every query's ids are compared.
 */
export function measureInstructionCache(modelDir: string, rounds = 3): InstructionCacheGain {
  const { folder, manifest } = openModel(modelDir)
  const make = (instructionCache: boolean) =>
    new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, manifest, {
      instructionCache,
    })
  const [whole, cached] = [make(false), make(true)]
  const texts = Array.from(
    { length: 4000 },
    (_, i) => `Instruct: ${INSTRUCTION}\nQuery:${queryText(i)}`,
  )
  const sameIds = texts.slice(0, 500).every((text) => {
    const [a, b] = [whole.encode({ text }, true), cached.encode({ text }, true)]
    return a.length === b.length && a.every((id, k) => id === b[k])
  })
  const time = (tokenizer: TextTokenizer) => {
    const started = performance.now()
    for (const text of texts) tokenizer.encode({ text }, true)
    return performance.now() - started
  }
  const wholeMs: number[] = []
  const cachedMs: number[] = []
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      wholeMs.push(time(whole))
      cachedMs.push(time(cached))
    } else {
      cachedMs.push(time(cached))
      wholeMs.push(time(whole))
    }
  }
  return {
    queries: texts.length,
    wholeMs,
    cachedMs,
    gain: spreadOf(wholeMs.map((ms, round) => ms / cachedMs[round])),
    sameIds,
  }
}
