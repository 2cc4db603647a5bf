/**
 * The Qwen3 decoder as an ONNX graph (opset 17), with the I/O of the public Qwen3-Embedding
 * exports: `input_ids`, `attention_mask`, `position_ids` in, `last_hidden_state` out, and
 * optionally `past_key_values.{i}.key/value` in and `present.{i}.key/value` out.
 *
 * Variants, as published exports come:
 * - `floatType: 'float16'`: weights, activations, the cache and `last_hidden_state` in float16
 *   (RoPE angles are computed in float32, since positions past 2048 are not exact in float16,
 *   and cast after Sin/Cos, as fp16 conversions keep them);
 * - `quantized`: every linear layer is `com.microsoft` `MatMulNBits` with 8-bit blockwise
 *   weights, as Qdrant's `model_quantized.onnx` (needs onnxruntime ≥ 1.23);
 * - `positionsFromMask`: no `position_ids` input; positions are counted from the attention mask
 *   inside the graph (HF's `cumsum(mask) - 1`, padding at 1), as Qdrant's export does, which
 *   takes only `input_ids` and `attention_mask`;
 * - `attention: 'fused'`: attention is `com.microsoft` `GroupQueryAttention`, whose CPU kernel
 *   is tiled (flash) and holds no L × L scores; it expects right padding.
 *
 * Mirrors HF transformers' modeling_qwen3.py: RMSNorm → q/k/v → per-head q/k RMSNorm → RoPE from
 * `position_ids` → grouped-query attention with a causal mask ANDed with the padding mask →
 * o_proj → residual → RMSNorm → SwiGLU MLP → residual; final RMSNorm.
 */
import onnxProto from 'onnx-proto'
import type { onnx as Onnx } from 'onnx-proto'
import { float32ToFloat16 } from '../../gpu-node/backend/float16.ts'
import type { Qwen3Shape } from './config.ts'

// onnx-proto is CommonJS; Node's ESM loader only exposes its default export.
const { onnx } = onnxProto
type Tensor = Onnx.ITensorProto
type Node = Onnx.INodeProto

const FLOAT = onnx.TensorProto.DataType.FLOAT
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16
const INT64 = onnx.TensorProto.DataType.INT64
const INT32 = onnx.TensorProto.DataType.INT32
const BOOL = onnx.TensorProto.DataType.BOOL
/** The most negative finite value of each float type: a masked score that cannot overflow. */
const LOWEST = { float32: -3.4028234663852886e38, float16: -65504 }
const MS_DOMAIN = 'com.microsoft'

export const OPSET = 17
export const IR_VERSION = 8

export interface GraphOptions {
  withPast: boolean
  floatType: 'float32' | 'float16'
  /** Linear layers as 8-bit MatMulNBits; `weights` then hold `<name>.q8` and `<name>.scales`. */
  quantized: boolean
  attention: 'plain' | 'fused'
  /** Positions from the attention mask inside the graph instead of a `position_ids` input. */
  positionsFromMask: boolean
}

export const PLAIN_GRAPH: GraphOptions = {
  withPast: false,
  floatType: 'float32',
  quantized: false,
  attention: 'plain',
  positionsFromMask: false,
}

/** MatMulNBits' block along K: 32 values share one scale, as onnxruntime's quantizer does. */
export const QUANT_BLOCK = 32

/** Collects nodes and constant initializers, naming every intermediate value uniquely. */
class GraphBuilder {
  readonly nodes: Node[] = []
  readonly constants: Tensor[] = []
  private count = 0

  constructor(private readonly floatType: 'float32' | 'float16') {}

  /** Adds one node; returns its output names (`outputs` pins names such as graph outputs). */
  op(
    opType: string,
    inputs: string[],
    attrs: Record<string, number | number[]> = {},
    outputs: number | string[] = 1,
    domain = '',
  ): string[] {
    const id = this.count++
    const names =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => `/${opType}_${id}/out${i}`)
        : outputs
    const attribute = Object.entries(attrs).map(([name, v]) =>
      Array.isArray(v)
        ? { name, type: onnx.AttributeProto.AttributeType.INTS, ints: v }
        : { name, type: onnx.AttributeProto.AttributeType.INT, i: v },
    )
    this.nodes.push({
      name: `/${opType}_${id}`,
      opType,
      domain,
      input: inputs,
      output: names,
      attribute,
    })
    return names
  }

  /** Single-output shorthand for `op`. */
  one(opType: string, inputs: string[], attrs: Record<string, number | number[]> = {}): string {
    return this.op(opType, inputs, attrs)[0]!
  }

  int64(name: string, values: number[], dims: number[] = [values.length]): string {
    const data = BigInt64Array.from(values, BigInt)
    this.constants.push({ name, dataType: INT64, dims, rawData: new Uint8Array(data.buffer) })
    return name
  }

  float(name: string, values: number[], dims: number[] = [values.length]): string {
    const data = Float32Array.from(values)
    this.constants.push({ name, dataType: FLOAT, dims, rawData: new Uint8Array(data.buffer) })
    return name
  }

  /** A constant in the graph's float type. */
  real(name: string, values: number[], dims: number[] = [values.length]): string {
    if (this.floatType === 'float32') return this.float(name, values, dims)
    const data = float32ToFloat16(values)
    this.constants.push({ name, dataType: FLOAT16, dims, rawData: new Uint8Array(data.buffer) })
    return name
  }
}

/** A graph input or output: name, element type and shape (symbolic sizes as strings). */
export function tensorInfo(name: string, elemType: number, dims: (string | number)[]) {
  const dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }))
  return { name, type: { tensorType: { elemType, shape: { dim } } } }
}

/** RoPE inverse frequencies, rounded to float32 as HF's float32 computation leaves them. */
export function ropeInverseFrequencies(shape: Qwen3Shape): Float32Array {
  const half = shape.headDim / 2
  return Float32Array.from(
    { length: half },
    (_, i) => 1 / shape.ropeTheta ** ((2 * i) / shape.headDim),
  )
}

/**
 * Builds the ModelProto. `weights` are the tensors named by `weightSpecs` (for a quantized graph,
 * `quantizedWeights`), already holding their data inline or pointing at an external data file.
 */
export function buildModel(
  shape: Qwen3Shape,
  options: GraphOptions,
  weights: Tensor[],
): Onnx.ModelProto {
  const { numHeads, numKvHeads, headDim, numLayers, hiddenSize } = shape
  const { withPast, floatType, quantized, attention } = options
  if (withPast && (attention === 'fused' || options.positionsFromMask))
    throw new Error('past_key_values go with plain attention and a position_ids input')
  const groups = numHeads / numKvHeads
  if (!Number.isInteger(groups)) throw new Error('numHeads must be a multiple of numKvHeads')
  const REAL = floatType === 'float16' ? FLOAT16 : FLOAT
  const g = new GraphBuilder(floatType)

  const eps = g.real('const/eps', [shape.rmsNormEps], [])
  const lastAxis = g.int64('const/axis_last', [-1])
  const axis0 = g.int64('const/axis_0', [0])
  const axis1 = g.int64('const/axis_1', [1])
  const axis2 = g.int64('const/axis_2', [2])

  const rmsNorm = (x: string, weight: string): string => {
    const meanSquare = g.one('ReduceMean', [g.one('Mul', [x, x])], { axes: [-1], keepdims: 1 })
    const inverse = g.one('Reciprocal', [g.one('Sqrt', [g.one('Add', [meanSquare, eps])])])
    return g.one('Mul', [g.one('Mul', [x, inverse]), weight])
  }
  const linear = (x: string, name: string, inDim: number, outDim: number): string =>
    quantized
      ? g.op(
          'MatMulNBits',
          [x, `${name}.q8`, `${name}.scales`],
          { K: inDim, N: outDim, bits: 8, block_size: QUANT_BLOCK },
          1,
          MS_DOMAIN,
        )[0]!
      : g.one('MatMul', [x, name])

  // Rotary tables, shared by every layer: angle = position * inv_freq, duplicated over both halves
  // of the head as in HF's rotate_half convention; computed in float32 (see the header).
  const invFreq = g.float('const/rope_inv_freq', [...ropeInverseFrequencies(shape)])
  const positionIds = options.positionsFromMask
    ? positionsFrom(g, 'attention_mask')
    : 'position_ids'
  const positions = g.one('Unsqueeze', [g.one('Cast', [positionIds], { to: FLOAT }), lastAxis])
  const freqs = g.one('Mul', [positions, invFreq])
  const angles = g.one('Concat', [freqs, freqs], { axis: -1 })
  const inReal = (x: string) => (REAL === FLOAT ? x : g.one('Cast', [x], { to: REAL }))
  const cosTable = inReal(g.one('Cos', [angles])) // [B, S, headDim]
  const sinTable = inReal(g.one('Sin', [angles]))
  // Plain attention rotates [B, heads, S, D]; fused rotates [B, S, heads, D] before flattening.
  const tableAxis = attention === 'plain' ? axis1 : axis2
  const cos = g.one('Unsqueeze', [cosTable, tableAxis])
  const sin = g.one('Unsqueeze', [sinTable, tableAxis])
  const halves = g.int64('const/rope_halves', [headDim / 2, headDim / 2])
  const rope = (x: string): string => {
    const [x1, x2] = g.op('Split', [x, halves], { axis: -1 }, 2) as [string, string]
    const rotated = g.one('Concat', [g.one('Neg', [x2]), x1], { axis: -1 })
    return g.one('Add', [g.one('Mul', [x, cos]), g.one('Mul', [rotated, sin])])
  }

  const qHeads = g.int64('const/shape_q_heads', [0, 0, numHeads, headDim])
  const kvHeads = g.int64('const/shape_kv_heads', [0, 0, numKvHeads, headDim])
  const merged = g.int64('const/shape_merged', [0, 0, numHeads * headDim])
  const kvMerged =
    attention === 'fused' ? g.int64('const/shape_kv_merged', [0, 0, numKvHeads * headDim]) : ''
  const attend =
    attention === 'plain'
      ? plainAttention(
          g,
          shape,
          {
            withPast,
            masked: g.real('const/masked_score', [LOWEST[floatType]], []),
            scale: g.real('const/attn_scale', [1 / Math.sqrt(headDim)], []),
          },
          axis0,
          axis1,
          axis2,
        )
      : fusedAttention(g, shape, axis0, axis1)

  let hidden = g.one('Gather', ['model.embed_tokens.weight', 'input_ids'], { axis: 0 })
  for (let i = 0; i < numLayers; i++) {
    const p = `model.layers.${i}`
    const x = rmsNorm(hidden, `${p}.input_layernorm.weight`)
    // [B, S, heads, D], with the per-head RMSNorm where Qwen3 has one.
    const heads = (proj: string, width: number, shapeOf: string, norm?: string): string => {
      const h = g.one('Reshape', [
        linear(x, `${p}.self_attn.${proj}.weight`, hiddenSize, width),
        shapeOf,
      ])
      return norm ? rmsNorm(h, `${p}.self_attn.${norm}.weight`) : h
    }
    const q = heads('q_proj', numHeads * headDim, qHeads, 'q_norm')
    const k = heads('k_proj', numKvHeads * headDim, kvHeads, 'k_norm')
    const v = heads('v_proj', numKvHeads * headDim, kvHeads)
    let context: string // [B, S, heads * D]
    if (attention === 'plain') {
      const toHeadsFirst = (t: string) => g.one('Transpose', [t], { perm: [0, 2, 1, 3] })
      context = attend(i, rope(toHeadsFirst(q)), rope(toHeadsFirst(k)), toHeadsFirst(v), merged)
    } else {
      const flat = (t: string, shapeOf: string) => g.one('Reshape', [t, shapeOf])
      context = attend(i, flat(rope(q), merged), flat(rope(k), kvMerged), flat(v, kvMerged), merged)
    }
    const attnOut = linear(context, `${p}.self_attn.o_proj.weight`, numHeads * headDim, hiddenSize)
    hidden = g.one('Add', [hidden, attnOut])

    const y = rmsNorm(hidden, `${p}.post_attention_layernorm.weight`)
    const ff = shape.intermediateSize
    const gate = linear(y, `${p}.mlp.gate_proj.weight`, hiddenSize, ff)
    const up = linear(y, `${p}.mlp.up_proj.weight`, hiddenSize, ff)
    const act = g.one('Mul', [g.one('Mul', [gate, g.one('Sigmoid', [gate])]), up])
    hidden = g.one('Add', [hidden, linear(act, `${p}.mlp.down_proj.weight`, ff, hiddenSize)])
  }
  const out = rmsNorm(hidden, 'model.norm.weight')
  g.op('Identity', [out], {}, ['last_hidden_state'])

  const inputs = [
    tensorInfo('input_ids', INT64, ['batch_size', 'sequence_length']),
    tensorInfo('attention_mask', INT64, [
      'batch_size',
      withPast ? 'total_sequence_length' : 'sequence_length',
    ]),
    ...(options.positionsFromMask
      ? []
      : [tensorInfo('position_ids', INT64, ['batch_size', 'sequence_length'])]),
  ]
  const outputs = [
    tensorInfo('last_hidden_state', REAL, ['batch_size', 'sequence_length', hiddenSize]),
  ]
  if (withPast) {
    for (let i = 0; i < numLayers; i++) {
      for (const kind of ['key', 'value']) {
        inputs.push(
          tensorInfo(`past_key_values.${i}.${kind}`, REAL, [
            'batch_size',
            numKvHeads,
            'past_sequence_length',
            headDim,
          ]),
        )
        outputs.push(
          tensorInfo(`present.${i}.${kind}`, REAL, [
            'batch_size',
            numKvHeads,
            'total_sequence_length',
            headDim,
          ]),
        )
      }
    }
  }

  const usesMicrosoftOps = quantized || attention === 'fused'
  return onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [
      { domain: '', version: OPSET },
      ...(usesMicrosoftOps ? [{ domain: MS_DOMAIN, version: 1 }] : []),
    ],
    producerName: 'tiny-qwen3',
    graph: {
      name: 'qwen3',
      node: g.nodes,
      initializer: [...weights, ...g.constants],
      input: inputs,
      output: outputs,
    },
  })
}

/** HF's positions for a padded batch: cumsum(mask) - 1 at real tokens, 1 at padding. */
function positionsFrom(g: GraphBuilder, mask: string): string {
  const counted = g.one('Sub', [
    g.one('CumSum', [mask, g.int64('const/cumsum_axis', [1], [])]),
    g.int64('const/pos_one', [1], []),
  ])
  const isPadding = g.one('Equal', [mask, g.int64('const/pos_zero', [0], [])])
  return g.one('Where', [isPadding, g.int64('const/pos_padding', [1], []), counted])
}

/** One layer's attention: (layer, q, k, v, shape of the merged output) → [B, S, heads * D]. */
type Attend = (layer: number, q: string, k: string, v: string, merged: string) => string

/**
 * Grouped-query attention from MatMul, Where and Softmax, as HF's eager attention and many
 * exports build it: q [B, heads, S, D], k/v [B, kvHeads, S, D]. It holds heads × S × T scores.
 */
function plainAttention(
  g: GraphBuilder,
  shape: Qwen3Shape,
  consts: { withPast: boolean; masked: string; scale: string },
  axis0: string,
  axis1: string,
  axis2: string,
): Attend {
  const { numHeads, numKvHeads, headDim } = shape
  const groups = numHeads / numKvHeads
  // Which keys each query may see, [B, 1, 1, S, T] to broadcast over [B, kvHeads, groups, S, T].
  // Query i sits at absolute index past + i (past = T - S), so causality is key <= past + i; the
  // attention mask (length T, past included) removes padding.
  const scalar = (x: string) => g.one('Squeeze', [x, axis0])
  const seqLen = g.one('Shape', ['input_ids'], { start: 1, end: 2 })
  const totalLen = g.one('Shape', ['attention_mask'], { start: 1, end: 2 })
  const pastLen = g.one('Sub', [totalLen, seqLen])
  const zero = g.int64('const/zero', [0], [])
  const one = g.int64('const/one', [1], [])
  const queryIndex = g.one('Add', [g.one('Range', [zero, scalar(seqLen), one]), scalar(pastLen)])
  const keyIndex = g.one('Range', [zero, scalar(totalLen), one])
  const causal = g.one('LessOrEqual', [
    g.one('Unsqueeze', [keyIndex, axis0]),
    g.one('Unsqueeze', [queryIndex, axis1]),
  ])
  const notPadding = g.one('Unsqueeze', [
    g.one('Cast', ['attention_mask'], { to: BOOL }),
    g.int64('const/axes_1_2_3', [1, 2, 3]),
  ])
  const allowed = g.one('And', [causal, notPadding])
  // Rows with no visible key (queries at padding) get a uniform softmax instead of NaN; their
  // values are never looked at, but NaN there would leak through 0 * NaN into real rows.
  const qGrouped = g.int64('const/shape_q_grouped', [0, numKvHeads, groups, -1, headDim])
  const qUngrouped = g.int64('const/shape_q_ungrouped', [0, numHeads, -1, headDim])
  return (layer, q, k, v, merged) => {
    if (consts.withPast) {
      k = g.op('Concat', [`past_key_values.${layer}.key`, k], { axis: 2 }, [
        `present.${layer}.key`,
      ])[0]!
      v = g.op('Concat', [`past_key_values.${layer}.value`, v], { axis: 2 }, [
        `present.${layer}.value`,
      ])[0]!
    }
    // Grouped-query attention without copying k/v: query heads are regrouped as
    // [B, kvHeads, groups, S, D] and MatMul broadcasts each kv head over its group, which is
    // the same pairing as HF's repeat_kv (query head h uses kv head floor(h / groups)).
    const kT = g.one('Unsqueeze', [g.one('Transpose', [k], { perm: [0, 1, 3, 2] }), axis2])
    const scores = g.one('Mul', [
      g.one('MatMul', [g.one('Reshape', [q, qGrouped]), kT]),
      consts.scale,
    ])
    const probs = g.one('Softmax', [g.one('Where', [allowed, scores, consts.masked])], { axis: -1 })
    const context = g.one('MatMul', [probs, g.one('Unsqueeze', [v, axis2])])
    const perHead = g.one('Reshape', [context, qUngrouped])
    return g.one('Reshape', [g.one('Transpose', [perHead], { perm: [0, 2, 1, 3] }), merged])
  }
}

/**
 * onnxruntime's GroupQueryAttention: q [B, S, heads * D], k/v [B, S, kvHeads * D], causal, with
 * each row's length from the attention mask (`seqlens_k` = real tokens - 1), so rows must be
 * padded on the right. Its CPU kernel is tiled: no S × S scores are ever held.
 */
function fusedAttention(g: GraphBuilder, shape: Qwen3Shape, axis0: string, axis1: string): Attend {
  const lengths = g.one('ReduceSum', ['attention_mask', axis1], { keepdims: 0 })
  const one = g.int64('const/gqa_one', [1], [])
  const seqlensK = g.one('Cast', [g.one('Sub', [lengths, one])], { to: INT32 })
  const padded = g.one('Squeeze', [g.one('Shape', ['attention_mask'], { start: 1, end: 2 }), axis0])
  const total = g.one('Cast', [padded], { to: INT32 })
  // present_key/value are not read, but without them the CPU kernel skips its tiled path and
  // holds the full scores (measured: 2.2 GB instead of 0.2 GB at 8,192 tokens).
  return (_layer, q, k, v) =>
    g.op(
      'GroupQueryAttention',
      [q, k, v, '', '', seqlensK, total],
      { num_heads: shape.numHeads, kv_num_heads: shape.numKvHeads },
      3,
      MS_DOMAIN,
    )[0]!
}
