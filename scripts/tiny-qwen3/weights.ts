/**
 * Seeded, deterministic weights for the generated Qwen3 models.
 *
 * Every tensor has its own counter-based stream (mulberry32 keyed by seed and tensor name), so
 * any element can be computed on its own: the ONNX writer streams big tensors chunk by chunk and
 * the reference forward pass regenerates only the embedding rows it needs, without either one
 * holding the whole model. Values are uniform, not normal: integer hashing plus one
 * multiplication rounds the same way everywhere, whereas Box-Muller would lean on Math.log/cos.
 *
 * Scale: linear weights have std 1/sqrt(fan_in) and embeddings std 1, so activations keep unit
 * scale at any width. (HF's normal*0.02 would make each layer's contribution tiny at hidden 64,
 * and the pooled vector of the final EOS token would barely depend on the text before it.)
 * Norm weights are 1 ± 0.1 rather than exactly 1 so that a norm applied to the wrong tensor
 * shows up as a mismatch against the reference.
 */
import type { Qwen3Shape } from './config.ts'

export type WeightInit = { kind: 'uniform'; std: number } | { kind: 'norm' }

export interface WeightSpec {
  /** HF parameter name; linear weights are stored transposed, [in, out], to feed MatMul as-is. */
  name: string
  dims: number[]
  init: WeightInit
}

/** Every weight of the model, in the order they are written. */
export function weightSpecs(shape: Qwen3Shape): WeightSpec[] {
  const { hiddenSize: h, numHeads, numKvHeads, headDim, intermediateSize: ff } = shape
  const linear = (name: string, inDim: number, outDim: number): WeightSpec => ({
    name,
    dims: [inDim, outDim],
    init: { kind: 'uniform', std: 1 / Math.sqrt(inDim) },
  })
  const norm = (name: string, dim: number): WeightSpec => ({
    name,
    dims: [dim],
    init: { kind: 'norm' },
  })

  const specs: WeightSpec[] = [
    {
      name: 'model.embed_tokens.weight',
      dims: [shape.vocabSize, h],
      init: { kind: 'uniform', std: 1 },
    },
  ]
  for (let i = 0; i < shape.numLayers; i++) {
    const p = `model.layers.${i}`
    specs.push(
      norm(`${p}.input_layernorm.weight`, h),
      linear(`${p}.self_attn.q_proj.weight`, h, numHeads * headDim),
      linear(`${p}.self_attn.k_proj.weight`, h, numKvHeads * headDim),
      linear(`${p}.self_attn.v_proj.weight`, h, numKvHeads * headDim),
      norm(`${p}.self_attn.q_norm.weight`, headDim),
      norm(`${p}.self_attn.k_norm.weight`, headDim),
      linear(`${p}.self_attn.o_proj.weight`, numHeads * headDim, h),
      norm(`${p}.post_attention_layernorm.weight`, h),
      linear(`${p}.mlp.gate_proj.weight`, h, ff),
      linear(`${p}.mlp.up_proj.weight`, h, ff),
      linear(`${p}.mlp.down_proj.weight`, ff, h),
    )
  }
  specs.push(norm('model.norm.weight', h))
  return specs
}

export function elementCount(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1)
}

const MULBERRY_STEP = 0x6d2b79f5

/** Stream key from seed and name: FNV-1a over the name, then a splitmix-style finalizer. */
function streamKey(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ seed
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193)
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) | 0
}

/**
 * Fills `out` with elements `offset .. offset + out.length` (row-major) of the tensor.
 *
 * @example fillWeights(spec, seed, new Float32Array(hidden), tokenId * hidden) // one embedding row
 */
export function fillWeights(
  spec: WeightSpec,
  seed: number,
  out: Float32Array,
  offset = 0,
): Float32Array {
  const sqrt3 = Math.sqrt(3)
  const [scale, bias] = spec.init.kind === 'norm' ? [0.1 * sqrt3, 1] : [spec.init.std * sqrt3, 0]
  // mulberry32's state only ever advances by a constant, so element n is a hash of key + (n+1)*step.
  let a = (streamKey(seed, spec.name) + Math.imul(offset, MULBERRY_STEP)) | 0
  for (let i = 0; i < out.length; i++) {
    a = (a + MULBERRY_STEP) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296
    out[i] = bias + (2 * u - 1) * scale
  }
  return out
}

/** The whole tensor at once; fine for everything but the 0.6B-shaped embedding table. */
export function generateWeights(spec: WeightSpec, seed: number): Float32Array {
  return fillWeights(spec, seed, new Float32Array(elementCount(spec.dims)))
}
