/**
 * A SIMULATED accelerator, for measuring the node the way a GPU host would see it on a machine
 * that has none (`EXECUTION_PROVIDERS=sim:<preset>`). No model runs. For each batch the session
 * thread blocks, using no CPU (Atomics.wait), for as long as the preset's cost model says a GPU
 * would take; the vectors are stand-ins derived from each input's token ids, deterministic and
 * independent of the batch they ran in, so caches, checks and the drift monitor still work, but
 * they mean nothing. What it shows: whether the host side (HTTP, tokenization, queueing,
 * batching, framing) keeps a device of that speed busy. What it cannot show: a real GPU's
 * variance, memory limits, transfer costs or numerics.
 *
 * A batch of `rows` inputs padded to `seq` tokens costs
 *   launchMs + perTokenMs × rows × seq + perPairMs × rows × seq²
 * (kernel launches; the weights' matrix products per padded token; attention per token pair).
 * perPairMs follows from perTokenMs by FLOPs: attention is about 4 × layers × (query heads ×
 * head size) FLOPs per token pair against 2 × parameters per token.
 */

import { mulberry32 } from '../../shared/seeded-random.ts'

export interface DeviceCostModel {
  name: string
  launchMs: number
  perTokenMs: number
  perPairMs: number
  /** Where its constants come from, and how they were fitted: printed with every figure. */
  source: string
}

/**
 * Attention's per-pair cost from the per-token one: (4 × layers × attention width) / (2 ×
 * parameters), the attention width being query heads × head size (4096 for the 4B, 2048 for
 * the 0.6B).
 */
const pairCost = (perTokenMs: number, layers: number, width: number, parameters: number) =>
  (perTokenMs * 4 * layers * width) / (2 * parameters)

const A6000_PER_TOKEN_MS = 0.011

export const DEVICE_PRESETS: Record<string, DeviceCostModel> = {
  'a10g-qwen3-4b-fp16': {
    name: 'a10g-qwen3-4b-fp16',
    launchMs: 6,
    perTokenMs: 0.14,
    perPairMs: pairCost(0.14, 36, 32 * 128, 4.0e9),
    source:
      'the article this service is built from: Qwen3-Embedding-4B, batch 8 under 80 ms on an ' +
      'A10G. Fit: 8 inputs of 64 tokens (a ~20-token instruction and a ~40-token query) take ' +
      '6 ms of launches (36 layers) + 512 × 0.14 ms = 77.7 ms, just under 80; about 7,100 ' +
      'padded tokens/s at large batches',
  },
  'a6000-qwen3-0.6b': {
    name: 'a6000-qwen3-0.6b',
    launchMs: 2,
    perTokenMs: A6000_PER_TOKEN_MS,
    perPairMs: pairCost(A6000_PER_TOKEN_MS, 28, 16 * 128, 0.6e9),
    source:
      'sgl-project/sglang#31891: Qwen3-Embedding-0.6B on an RTX A6000 serves about 800 short ' +
      'requests/s with the GPU ~33% SM-active, so the device alone would serve about 2,400/s. ' +
      'Fit: batches of 32 inputs of 32 tokens (the issue gives no length; short queries) at ' +
      '2,400/s take 13.3 ms = 2 ms of launches (28 layers) + 1,024 × 0.011 ms',
  },
  'h100-qwen3-0.6b': {
    name: 'h100-qwen3-0.6b',
    launchMs: 1.5,
    perTokenMs: A6000_PER_TOKEN_MS / 3.2,
    perPairMs: pairCost(A6000_PER_TOKEN_MS / 3.2, 28, 16 * 128, 0.6e9),
    source:
      'a6000-qwen3-0.6b with its per-token cost divided by 3.2, below both the memory bandwidth ' +
      'ratio (H100 SXM 3.35 TB/s against 0.77, 4.4×) and the dense fp16 tensor ratio (989 ' +
      'TFLOPS against 155, 6.4×): a conservative H100; launches 1.5 ms. Consistent with ' +
      'sgl-project/sglang#31891, where several servers on one H200 NVL reached 2.6× one ' +
      'CPU-bound server',
  },
  zero: {
    name: 'zero',
    launchMs: 0,
    perTokenMs: 0,
    perPairMs: 0,
    source: 'no device time at all: what the host path alone sustains',
  },
}

export function devicePreset(name: string): DeviceCostModel {
  const preset = DEVICE_PRESETS[name]
  if (!preset) {
    throw new Error(
      `no simulated device '${name}': one of ${Object.keys(DEVICE_PRESETS).join(', ')}`,
    )
  }
  return preset
}

/** The simulated device's time for one batch, in ms. */
export function batchCostMs(model: DeviceCostModel, rows: number, seq: number): number {
  return model.launchMs + model.perTokenMs * rows * seq + model.perPairMs * rows * seq * seq
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))

/** Blocks this thread for `ms` without using the CPU, as a thread waiting on a GPU stream does. */
export function blockFor(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms)
}

/** FNV-1a over the token ids: the seed of an input's stand-in vector. */
function seedOf(ids: ArrayLike<bigint>, from: number, to: number): number {
  let hash = 0x811c9dc5
  for (let i = from; i < to; i++) {
    const id = Number(ids[i])
    for (let shift = 0; shift < 32; shift += 8) {
      hash ^= (id >>> shift) & 0xff
      hash = Math.imul(hash, 0x01000193)
    }
  }
  return hash >>> 0
}

export interface StandInBatch {
  rows: number
  seq: number
  inputIds: BigInt64Array
  attentionMask: BigInt64Array
}

/**
 * One stand-in vector per row of `dimensions` components, unit length, from the row's real
 * (unmasked) token ids alone; `norms` are their lengths before normalization.
 */
export function standInVectors(
  batch: StandInBatch,
  dimensions: number,
): { vectors: Float32Array[]; norms: Float32Array } {
  const vectors: Float32Array[] = []
  const norms = new Float32Array(batch.rows)
  for (let row = 0; row < batch.rows; row++) {
    // Padding may be on either side: the real tokens are the unmasked run.
    let from = row * batch.seq
    let to = from + batch.seq
    while (from < to && batch.attentionMask[from] === 0n) from++
    while (to > from && batch.attentionMask[to - 1] === 0n) to--
    const next = mulberry32(seedOf(batch.inputIds, from, to))
    const vector = new Float32Array(dimensions)
    let sum = 0
    for (let d = 0; d < dimensions; d++) {
      vector[d] = next() * 2 - 1
      sum += vector[d] * vector[d]
    }
    const norm = Math.sqrt(sum)
    for (let d = 0; d < dimensions; d++) vector[d] /= norm
    vectors.push(vector)
    norms[row] = norm
  }
  return { vectors, norms }
}
