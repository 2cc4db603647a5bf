/**
 * An independent forward pass of the generated model in plain TypeScript (float64 math, no
 * ONNX Runtime), to check the ONNX graph against.
 *
 * It never reads the ONNX file: it regenerates the weights from the seed with weights.ts, so a
 * mistake in how the writer lays out or references initializers shows up as a mismatch too.
 * Embedding rows are generated on demand, so only the non-embedding weights are held.
 *
 * It runs one unpadded sequence at positions 0..n-1; padding and batching are the graph's
 * business and are tested ORT against ORT.
 */
import { ropeInverseFrequencies } from './build-graph.ts'
import type { Qwen3Shape } from './config.ts'
import { type WeightSpec, fillWeights, generateWeights, weightSpecs } from './weights.ts'

export class Qwen3Reference {
  private readonly weights = new Map<string, Float32Array>()
  private readonly embedding: WeightSpec

  constructor(
    private readonly shape: Qwen3Shape,
    private readonly seed: number,
  ) {
    const [embedding, ...rest] = weightSpecs(shape)
    this.embedding = embedding!
    for (const spec of rest) this.weights.set(spec.name, generateWeights(spec, seed))
  }

  /** `last_hidden_state` for one sequence: `ids.length` rows of `hiddenSize`, row-major. */
  forward(ids: number[]): Float64Array {
    const { hiddenSize: hidden, numHeads, numKvHeads, headDim, numLayers } = this.shape
    const n = ids.length
    const w = (name: string) => this.weights.get(name)!

    let h: Float64Array[] = ids.map((id) => {
      const row = fillWeights(this.embedding, this.seed, new Float32Array(hidden), id * hidden)
      return Float64Array.from(row)
    })
    const { cos, sin } = this.rotary(n)

    for (let layer = 0; layer < numLayers; layer++) {
      const p = `model.layers.${layer}`
      const x = h.map((row) =>
        rmsNorm(row, w(`${p}.input_layernorm.weight`), this.shape.rmsNormEps),
      )
      const project = (name: string, heads: number, norm?: string) =>
        x.map((row, t) => {
          const out = linear(row, w(`${p}.self_attn.${name}.weight`), heads * headDim)
          const perHead: Float64Array[] = []
          for (let head = 0; head < heads; head++) {
            let v = out.subarray(head * headDim, (head + 1) * headDim)
            if (norm) {
              v = rmsNorm(v, w(`${p}.self_attn.${norm}.weight`), this.shape.rmsNormEps)
              v = rotate(v, cos[t]!, sin[t]!)
            }
            perHead.push(v)
          }
          return perHead
        })
      const q = project('q_proj', numHeads, 'q_norm')
      const k = project('k_proj', numKvHeads, 'k_norm')
      const v = project('v_proj', numKvHeads)

      const groups = numHeads / numKvHeads
      const scale = 1 / Math.sqrt(headDim)
      const attended = q.map((qRow, t) => {
        const context = new Float64Array(numHeads * headDim)
        for (let head = 0; head < numHeads; head++) {
          const kv = Math.floor(head / groups)
          const scores = Array.from(
            { length: t + 1 },
            (_, s) => dot(qRow[head]!, k[s]![kv]!) * scale,
          )
          const probs = softmax(scores)
          for (let s = 0; s <= t; s++) {
            const vs = v[s]![kv]!
            for (let d = 0; d < headDim; d++) context[head * headDim + d]! += probs[s]! * vs[d]!
          }
        }
        return linear(context, w(`${p}.self_attn.o_proj.weight`), hidden)
      })
      h = h.map((row, t) => add(row, attended[t]!))

      h = h.map((row) => {
        const y = rmsNorm(row, w(`${p}.post_attention_layernorm.weight`), this.shape.rmsNormEps)
        const gate = linear(y, w(`${p}.mlp.gate_proj.weight`), this.shape.intermediateSize)
        const up = linear(y, w(`${p}.mlp.up_proj.weight`), this.shape.intermediateSize)
        const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!)
        return add(row, linear(act, w(`${p}.mlp.down_proj.weight`), hidden))
      })
    }

    const out = new Float64Array(n * hidden)
    h.forEach((row, t) =>
      out.set(rmsNorm(row, w('model.norm.weight'), this.shape.rmsNormEps), t * hidden),
    )
    return out
  }

  /** cos/sin per position over the full head, both halves sharing one frequency as in HF. */
  private rotary(n: number): { cos: Float64Array[]; sin: Float64Array[] } {
    const invFreq = ropeInverseFrequencies(this.shape)
    const half = this.shape.headDim / 2
    const cos: Float64Array[] = []
    const sin: Float64Array[] = []
    for (let t = 0; t < n; t++) {
      // The graph multiplies in float32; round the same way so large positions agree.
      const angles = Array.from({ length: this.shape.headDim }, (_, d) =>
        Math.fround(t * invFreq[d % half]!),
      )
      cos.push(Float64Array.from(angles, Math.cos))
      sin.push(Float64Array.from(angles, Math.sin))
    }
    return { cos, sin }
  }
}

/** x · W for W stored [in, out] row-major. */
function linear(x: Float64Array, weight: Float32Array, outDim: number): Float64Array {
  const out = new Float64Array(outDim)
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!
    const row = i * outDim
    for (let o = 0; o < outDim; o++) out[o]! += xi * weight[row + o]!
  }
  return out
}

function rmsNorm(x: Float64Array, weight: Float32Array, eps: number): Float64Array {
  let sum = 0
  for (const v of x) sum += v * v
  const inv = 1 / Math.sqrt(sum / x.length + eps)
  return x.map((v, i) => v * inv * weight[i]!)
}

/** HF's apply_rotary_pos_emb: x * cos + rotate_half(x) * sin, rotate_half = [-x2, x1]. */
function rotate(x: Float64Array, cos: Float64Array, sin: Float64Array): Float64Array {
  const half = x.length / 2
  return x.map((v, d) => v * cos[d]! + (d < half ? -x[d + half]! : x[d - half]!) * sin[d]!)
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!
  return sum
}

function softmax(scores: number[]): number[] {
  const max = Math.max(...scores)
  const exps = scores.map((s) => Math.exp(s - max))
  const total = exps.reduce((a, b) => a + b, 0)
  return exps.map((e) => e / total)
}

function add(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]!)
}
