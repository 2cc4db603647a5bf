/** A node's signed `/metrics`, read once, as a function from a series name to its sum over labels. */
import { fetchSigned } from '../../edge/origin/signed-calls.ts'
import { fixed } from './table.ts'

export async function nodeMetrics(url: string, secret: string): Promise<(name: string) => number> {
  const lines = (await (await fetchSigned(url, '/metrics', secret)).text()).split('\n')
  return (name) =>
    lines
      .filter((line) => line.split(/[ {]/, 1)[0] === name)
      .reduce((total, line) => total + Number(line.split(' ').at(-1)), 0)
}

/** The stages of a request's time in the node, by its own histograms (gpu-node/core/metrics.ts). */
export type RequestStage = 'total' | 'tokenization' | 'queue' | 'inference'
const STAGE_HISTOGRAMS: Record<RequestStage, string> = {
  total: 'te_request_duration',
  tokenization: 'te_request_tokenization_duration',
  queue: 'te_request_queue_duration',
  inference: 'te_request_inference_duration',
}
export type StageSums = Record<RequestStage, { sum: number; count: number }>
export type StageMeansMs = Record<RequestStage, number>

/** A record of `figure(stage)` for every stage. */
export function eachStage<T>(figure: (stage: RequestStage) => T): Record<RequestStage, T> {
  const stages = Object.keys(STAGE_HISTOGRAMS) as RequestStage[]
  return Object.fromEntries(stages.map((stage) => [stage, figure(stage)])) as Record<
    RequestStage,
    T
  >
}

export function stageSums(value: (name: string) => number): StageSums {
  return eachStage((stage) => ({
    sum: value(`${STAGE_HISTOGRAMS[stage]}_sum`),
    count: value(`${STAGE_HISTOGRAMS[stage]}_count`),
  }))
}

/** Mean ms per request of each stage between two readings (NaN for a stage nothing passed). */
export function stageMeansMs(before: StageSums, after: StageSums): StageMeansMs {
  return eachStage((stage) => {
    const count = after[stage].count - before[stage].count
    return count === 0 ? NaN : ((after[stage].sum - before[stage].sum) / count) * 1000
  })
}

/** `total = tokenization + queue + inference` in ms, as the tables print it. */
export function describeStages(s: StageMeansMs): string {
  return `${fixed(s.total, 2)} = ${fixed(s.tokenization, 2)} + ${fixed(s.queue, 2)} + ${fixed(s.inference, 2)}`
}
