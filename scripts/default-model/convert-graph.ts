/**
 * Rebuilds the Universal Sentence Encoder lite computation as a dense ONNX graph.
 *
 * The TF.js original takes a sparse batch (`indices` [n, 2], `values` [n]) and moves tokens between
 * a packed list and a padded [batch, seq] layout with Where/GatherNd/ScatterNd around every
 * position-wise step. Padding positions never reach a real token's result (their keys get a -1e9
 * attention bias and pooling skips them), so the same math on a right-padded batch plus a mask is
 * equivalent and needs only standard opset-17 operators:
 *
 *   x      = 2 × embedding(id) + timing(position)     (the original adds the embedding twice)
 *   layer  = x' = x + attention(norm(x))       (first layer: residual projected 256 → 512)
 *            x'' = x' + ffn(norm(x'))          (ReLU feed-forward)
 *   output = l2normalize(tanh(dense(masked mean over tokens)))
 *
 * Operations keep the original's order where rounding could differ (e.g. emb + (emb + timing)).
 */
import { dataType, float, GraphBuilder, int, ints } from './onnx-graph-builder.ts'
import type { Dense, Norm, TransformerLayer, UseLiteWeights } from './use-lite-weights.ts'

export const OPSET = 17

/** Tensor names of the graph interface, as the inference node's manifest names them. */
export const GRAPH_IO = {
  inputIds: 'input_ids',
  attentionMask: 'attention_mask',
  output: 'sentence_embedding',
} as const

export interface ModelMetadata {
  producerVersion: string
  docString: string
  metadata: Record<string, string>
}

/** Returns the bytes of a self-contained `model.onnx` computing USE-lite on dense inputs. */
export function convertUseLite(w: UseLiteWeights, meta: ModelMetadata): Uint8Array {
  const g = new GraphBuilder()
  const width = w.embeddings.cols
  const ids0 = g.input(GRAPH_IO.inputIds, 'int64', ['batch', 'sequence'])
  const mask0 = g.input(GRAPH_IO.attentionMask, 'int64', ['batch', 'sequence'])

  const zero = g.int64s('const/zero', [1], [0])
  const axis0 = g.int64s('const/axis_0', [1], [0])
  const axis1 = g.int64s('const/axis_1', [1], [1])
  const lastAxis = g.int64s('const/axis_last', [1], [-1])
  const one = g.floats('const/one', [], [1])

  // The original drops every token past maxLength; clipping here too keeps the graph faithful even
  // if a caller forgets to truncate (positions past the timing table would otherwise fail).
  const maxLength = g.int64s('const/max_length', [1], [w.maxLength])
  const ids = g.op('input/ids', 'Slice', [ids0, zero, maxLength, axis1])
  const mask = g.op('input/mask', 'Slice', [mask0, zero, maxLength, axis1])
  const seqLength = g.op('input/seq_length', 'Shape', [ids], { start: int(1), end: int(2) })

  const isPad = g.op('mask/is_pad', 'Equal', [mask, g.int64s('const/zero_scalar', [], [0])])
  const padF = g.op('mask/pad', 'Cast', [isPad], { to: int(dataType('float32')) })
  const realF = g.op('mask/real', 'Sub', [one, padF])
  const paddingBias = g.floats('const/padding_bias', [], [w.paddingBias])
  const keyBias = g.op('mask/key_bias', 'Unsqueeze', [
    g.op('mask/key_bias_2d', 'Mul', [padF, paddingBias]),
    g.int64s('const/axes_1_2', [2], [1, 2]),
  ])

  const table = g.floats('embeddings', [w.embeddings.rows, width], w.embeddings.data)
  const emb = g.op('embed/tokens', 'Gather', [table, ids], { axis: int(0) })
  const timingTable = g.floats('embed/timing_table', [w.maxLength, width], timingSignal(w))
  const timing = g.op('embed/timing', 'Slice', [timingTable, zero, seqLength, axis0])
  let h = g.op('embed/sum', 'Add', [emb, g.op('embed/with_timing', 'Add', [emb, timing])])

  w.layers.forEach((layer, i) => {
    h = transformerLayer(g, `layer_${i}`, layer, h, keyBias, w.layerNormEpsilon)
  })

  // Masked mean over real tokens; an all-padding row divides by 1, as the original does.
  const weights3d = g.op('pool/weights', 'Unsqueeze', [realF, g.int64s('const/axis_2', [1], [2])])
  const masked = g.op('pool/masked', 'Mul', [h, weights3d])
  const summed = g.op('pool/sum', 'ReduceSum', [masked, axis1], { keepdims: int(0) })
  const count = g.op('pool/count', 'Max', [
    g.op('pool/count_raw', 'ReduceSum', [realF, axis1], { keepdims: int(1) }),
    one,
  ])
  const mean = g.op('pool/mean', 'Div', [summed, count])

  const hidden = g.op('head/tanh', 'Tanh', [dense(g, 'head/dense', mean, w.hidden)])
  const squares = g.op('head/square_sum', 'ReduceSum', [
    g.op('head/square', 'Mul', [hidden, hidden]),
    lastAxis,
  ])
  const bounded = g.op('head/square_sum_min', 'Max', [
    squares,
    g.floats('const/l2_epsilon', [], [w.l2Epsilon]),
  ])
  // x · (1 / √max(Σx², ε)), as the original's Rsqrt + Mul (a Div could round differently).
  const norm = g.op('head/norm', 'Sqrt', [bounded])
  const inverseNorm = g.op('head/inverse_norm', 'Reciprocal', [norm])
  g.op(GRAPH_IO.output, 'Mul', [hidden, inverseNorm])
  g.output(GRAPH_IO.output, 'float32', ['batch', w.hidden.kernel.cols])

  return g.toBytes({
    graphName: 'universal_sentence_encoder_lite',
    opset: OPSET,
    producerName: 'scripts/default-model',
    ...meta,
  })
}

function transformerLayer(
  g: GraphBuilder,
  name: string,
  l: TransformerLayer,
  x: string,
  keyBias: string,
  epsilon: number,
): string {
  const inner = l.qkv.kernel.cols / 3
  const headWidth = inner / l.heads
  const residual = l.residualProjection ? dense(g, `${name}/residual`, x, l.residualProjection) : x

  const normed = layerNorm(g, `${name}/attention_norm`, x, l.inputNorm, epsilon)
  const qkv = dense(g, `${name}/qkv`, normed, l.qkv)
  const [q, k, v] = g.opN(
    `${name}/split`,
    'Split',
    [qkv, g.int64s(`${name}/split_sizes`, [3], [inner, inner, inner])],
    3,
    { axis: int(-1) },
  )
  const headsShape = g.int64s(`${name}/heads_shape`, [4], [0, 0, l.heads, headWidth])
  const heads = (t: string, label: string, perm: number[]): string => {
    const split = g.op(`${name}/${label}_split`, 'Reshape', [t, headsShape])
    return g.op(`${name}/${label}_heads`, 'Transpose', [split], { perm: ints(perm) })
  }
  const queries = g.op(`${name}/q_scaled`, 'Mul', [
    heads(q, 'q', [0, 2, 1, 3]),
    g.floats(`${name}/query_scale`, [], [l.queryScale]),
  ])
  const keysT = heads(k, 'k', [0, 2, 3, 1])
  const values = heads(v, 'v', [0, 2, 1, 3])

  const logits = g.op(`${name}/logits`, 'Add', [
    g.op(`${name}/scores`, 'MatMul', [queries, keysT]),
    keyBias,
  ])
  const probs = g.op(`${name}/probs`, 'Softmax', [logits], { axis: int(-1) })
  const context = g.op(`${name}/context_heads`, 'MatMul', [probs, values])
  const merged = g.op(`${name}/context`, 'Reshape', [
    g.op(`${name}/context_t`, 'Transpose', [context], { perm: ints([0, 2, 1, 3]) }),
    g.int64s(`${name}/merged_shape`, [3], [0, 0, inner]),
  ])
  const attended = g.op(`${name}/attention_out`, 'Add', [
    dense(g, `${name}/output`, merged, l.output),
    residual,
  ])

  const ffnIn = layerNorm(g, `${name}/ffn_norm`, attended, l.ffnNorm, epsilon)
  const ffnHidden = g.op(`${name}/ffn_relu`, 'Relu', [dense(g, `${name}/ffn_in`, ffnIn, l.ffnIn)])
  return g.op(`${name}/out`, 'Add', [dense(g, `${name}/ffn_out`, ffnHidden, l.ffnOut), attended])
}

function dense(g: GraphBuilder, name: string, x: string, d: Dense): string {
  const kernel = g.floats(`${name}/kernel`, [d.kernel.rows, d.kernel.cols], d.kernel.data)
  const bias = g.floats(`${name}/bias`, [d.bias.length], d.bias)
  return g.op(`${name}/add`, 'Add', [g.op(`${name}/matmul`, 'MatMul', [x, kernel]), bias])
}

function layerNorm(g: GraphBuilder, name: string, x: string, n: Norm, epsilon: number): string {
  const scale = g.floats(`${name}/scale`, [n.scale.length], n.scale)
  const bias = g.floats(`${name}/bias`, [n.bias.length], n.bias)
  return g.op(name, 'LayerNormalization', [x, scale, bias], {
    axis: int(-1),
    epsilon: float(epsilon),
  })
}

/**
 * The sinusoidal position signal for positions 0..maxLength-1, computed once here instead of with
 * Sin/Cos in the graph: the argument is rounded to float32 as the original's float32 multiply does.
 */
function timingSignal(w: UseLiteWeights): Float32Array {
  const half = w.timescales.length
  const table = new Float32Array(w.maxLength * 2 * half)
  for (let p = 0; p < w.maxLength; p++) {
    for (let j = 0; j < half; j++) {
      const angle = Math.fround(p * w.timescales[j])
      table[p * 2 * half + j] = Math.sin(angle)
      table[p * 2 * half + half + j] = Math.cos(angle)
    }
  }
  return table
}
