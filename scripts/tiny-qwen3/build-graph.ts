/**
 * The Qwen3 decoder as an ONNX graph (opset 17, standard ops only), with the I/O of the public
 * Qwen3-Embedding exports: `input_ids`, `attention_mask`, `position_ids` in,
 * `last_hidden_state` out, and optionally `past_key_values.{i}.key/value` in and
 * `present.{i}.key/value` out.
 *
 * Mirrors HF transformers' modeling_qwen3.py: RMSNorm → q/k/v → per-head q/k RMSNorm → RoPE from
 * `position_ids` → grouped-query attention with a causal mask ANDed with the padding mask →
 * o_proj → residual → RMSNorm → SwiGLU MLP → residual; final RMSNorm.
 */
import onnxProto from 'onnx-proto'
import type { onnx as Onnx } from 'onnx-proto'
import type { Qwen3Shape } from './config.ts'

// onnx-proto is CommonJS; Node's ESM loader only exposes its default export.
const { onnx } = onnxProto
type Tensor = Onnx.ITensorProto
type Node = Onnx.INodeProto

const FLOAT = onnx.TensorProto.DataType.FLOAT
const INT64 = onnx.TensorProto.DataType.INT64
const BOOL = onnx.TensorProto.DataType.BOOL
const FLOAT32_MIN = -3.4028234663852886e38

export const OPSET = 17
export const IR_VERSION = 8

/** Collects nodes and constant initializers, naming every intermediate value uniquely. */
class GraphBuilder {
  readonly nodes: Node[] = []
  readonly constants: Tensor[] = []
  private count = 0

  /** Adds one node; returns its output names (`outputs` pins names such as graph outputs). */
  op(
    opType: string,
    inputs: string[],
    attrs: Record<string, number | number[]> = {},
    outputs: number | string[] = 1,
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
    this.nodes.push({ name: `/${opType}_${id}`, opType, input: inputs, output: names, attribute })
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
}

function tensorInfo(name: string, elemType: number, dims: (string | number)[]) {
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
 * Builds the ModelProto. `weights` are the tensors named by `weightSpecs`, already holding their
 * data inline or pointing at an external data file.
 */
export function buildModel(
  shape: Qwen3Shape,
  withPast: boolean,
  weights: Tensor[],
): Onnx.ModelProto {
  const { numHeads, numKvHeads, headDim, numLayers } = shape
  const groups = numHeads / numKvHeads
  if (!Number.isInteger(groups)) throw new Error('numHeads must be a multiple of numKvHeads')
  const g = new GraphBuilder()

  const eps = g.float('const/eps', [shape.rmsNormEps], [])
  const lastAxis = g.int64('const/axis_last', [-1])
  const axis0 = g.int64('const/axis_0', [0])
  const axis1 = g.int64('const/axis_1', [1])
  const axis2 = g.int64('const/axis_2', [2])

  const rmsNorm = (x: string, weight: string): string => {
    const meanSquare = g.one('ReduceMean', [g.one('Mul', [x, x])], { axes: [-1], keepdims: 1 })
    const inverse = g.one('Reciprocal', [g.one('Sqrt', [g.one('Add', [meanSquare, eps])])])
    return g.one('Mul', [g.one('Mul', [x, inverse]), weight])
  }

  // Rotary tables, shared by every layer: angle = position * inv_freq, duplicated over both halves
  // of the head as in HF's rotate_half convention. Shape [B, 1, S, headDim].
  const invFreq = g.float('const/rope_inv_freq', [...ropeInverseFrequencies(shape)])
  const positions = g.one('Unsqueeze', [g.one('Cast', ['position_ids'], { to: FLOAT }), lastAxis])
  const freqs = g.one('Mul', [positions, invFreq])
  const angles = g.one('Concat', [freqs, freqs], { axis: -1 })
  const cos = g.one('Unsqueeze', [g.one('Cos', [angles]), axis1])
  const sin = g.one('Unsqueeze', [g.one('Sin', [angles]), axis1])
  const halves = g.int64('const/rope_halves', [headDim / 2, headDim / 2])
  const rope = (x: string): string => {
    const [x1, x2] = g.op('Split', [x, halves], { axis: -1 }, 2) as [string, string]
    const rotated = g.one('Concat', [g.one('Neg', [x2]), x1], { axis: -1 })
    return g.one('Add', [g.one('Mul', [x, cos]), g.one('Mul', [rotated, sin])])
  }

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
  const masked = g.float('const/masked_score', [FLOAT32_MIN], [])
  const scale = g.float('const/attn_scale', [1 / Math.sqrt(headDim)], [])

  const qHeads = g.int64('const/shape_q_heads', [0, 0, numHeads, headDim])
  const kvHeads = g.int64('const/shape_kv_heads', [0, 0, numKvHeads, headDim])
  const qGrouped = g.int64('const/shape_q_grouped', [0, numKvHeads, groups, -1, headDim])
  const qUngrouped = g.int64('const/shape_q_ungrouped', [0, numHeads, -1, headDim])
  const merged = g.int64('const/shape_merged', [0, 0, numHeads * headDim])

  let hidden = g.one('Gather', ['model.embed_tokens.weight', 'input_ids'], { axis: 0 })
  for (let i = 0; i < numLayers; i++) {
    const p = `model.layers.${i}`
    const x = rmsNorm(hidden, `${p}.input_layernorm.weight`)
    const heads = (proj: string, shapeOf: string, norm?: string): string => {
      let h = g.one('Reshape', [g.one('MatMul', [x, `${p}.self_attn.${proj}.weight`]), shapeOf])
      if (norm) h = rmsNorm(h, `${p}.self_attn.${norm}.weight`)
      return g.one('Transpose', [h], { perm: [0, 2, 1, 3] }) // [B, heads, S, D]
    }
    const q = rope(heads('q_proj', qHeads, 'q_norm'))
    let k = rope(heads('k_proj', kvHeads, 'k_norm'))
    let v = heads('v_proj', kvHeads)
    if (withPast) {
      k = g.op('Concat', [`past_key_values.${i}.key`, k], { axis: 2 }, [`present.${i}.key`])[0]!
      v = g.op('Concat', [`past_key_values.${i}.value`, v], { axis: 2 }, [`present.${i}.value`])[0]!
    }
    // Grouped-query attention without copying k/v: query heads are regrouped as
    // [B, kvHeads, groups, S, D] and MatMul broadcasts each kv head over its group, which is
    // the same pairing as HF's repeat_kv (query head h uses kv head floor(h / groups)).
    const kT = g.one('Unsqueeze', [g.one('Transpose', [k], { perm: [0, 1, 3, 2] }), axis2])
    const scores = g.one('Mul', [g.one('MatMul', [g.one('Reshape', [q, qGrouped]), kT]), scale])
    const probs = g.one('Softmax', [g.one('Where', [allowed, scores, masked])], { axis: -1 })
    const context = g.one('MatMul', [probs, g.one('Unsqueeze', [v, axis2])])
    const perHead = g.one('Reshape', [context, qUngrouped])
    const flat = g.one('Reshape', [g.one('Transpose', [perHead], { perm: [0, 2, 1, 3] }), merged])
    hidden = g.one('Add', [hidden, g.one('MatMul', [flat, `${p}.self_attn.o_proj.weight`])])

    const y = rmsNorm(hidden, `${p}.post_attention_layernorm.weight`)
    const gate = g.one('MatMul', [y, `${p}.mlp.gate_proj.weight`])
    const up = g.one('MatMul', [y, `${p}.mlp.up_proj.weight`])
    const act = g.one('Mul', [g.one('Mul', [gate, g.one('Sigmoid', [gate])]), up])
    hidden = g.one('Add', [hidden, g.one('MatMul', [act, `${p}.mlp.down_proj.weight`])])
  }
  const out = rmsNorm(hidden, 'model.norm.weight')
  g.op('Identity', [out], {}, ['last_hidden_state'])

  const inputs = [
    tensorInfo('input_ids', INT64, ['batch_size', 'sequence_length']),
    tensorInfo('attention_mask', INT64, [
      'batch_size',
      withPast ? 'total_sequence_length' : 'sequence_length',
    ]),
    tensorInfo('position_ids', INT64, ['batch_size', 'sequence_length']),
  ]
  const outputs = [
    tensorInfo('last_hidden_state', FLOAT, ['batch_size', 'sequence_length', shape.hiddenSize]),
  ]
  if (withPast) {
    for (let i = 0; i < numLayers; i++) {
      for (const kind of ['key', 'value']) {
        inputs.push(
          tensorInfo(`past_key_values.${i}.${kind}`, FLOAT, [
            'batch_size',
            numKvHeads,
            'past_sequence_length',
            headDim,
          ]),
        )
        outputs.push(
          tensorInfo(`present.${i}.${kind}`, FLOAT, [
            'batch_size',
            numKvHeads,
            'total_sequence_length',
            headDim,
          ]),
        )
      }
    }
  }

  return onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
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
