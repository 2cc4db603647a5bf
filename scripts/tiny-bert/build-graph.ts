/**
 * A BERT-style encoder as an ONNX graph (opset 17, standard ops), with the I/O
 * of BERT exports: `input_ids`, `attention_mask`, `token_type_ids` in,
 * `last_hidden_state` out. Word + position + token-type embeddings →
 * LayerNorm → layers of bidirectional self-attention (padding keys masked out)
 * and a GELU MLP, each with a residual and post-LayerNorm, as in BERT.
 *
 * Positions are 0 … S−1 inside the graph, as in BERT, which is why such
 * models are padded on the right: a real token's position never depends on
 * its neighbours in the batch.
 */
import { float, GraphBuilder, int, ints, dataType } from '../default-model/onnx-graph-builder.ts'
import { generateWeights, type WeightSpec } from '../tiny-qwen3/weights.ts'
import type { BertShape } from './config.ts'

const OPSET = 17

/** Every weight, stored [in, out] for MatMul; biases small, LayerNorm scales 1 ± 0.1. */
export function bertWeightSpecs(shape: BertShape): WeightSpec[] {
  const { hiddenSize: h, intermediateSize: ff } = shape
  const linear = (name: string, inDim: number, outDim: number): WeightSpec[] => [
    {
      name: `${name}.weight`,
      dims: [inDim, outDim],
      init: { kind: 'uniform', std: 1 / Math.sqrt(inDim) },
    },
    { name: `${name}.bias`, dims: [outDim], init: { kind: 'uniform', std: 0.02 } },
  ]
  const layerNorm = (name: string): WeightSpec[] => [
    { name: `${name}.weight`, dims: [h], init: { kind: 'norm' } },
    { name: `${name}.bias`, dims: [h], init: { kind: 'uniform', std: 0.02 } },
  ]
  const embedding = (name: string, rows: number): WeightSpec => ({
    name,
    dims: [rows, h],
    init: { kind: 'uniform', std: 1 },
  })
  const specs = [
    embedding('embeddings.word_embeddings.weight', shape.vocabSize),
    embedding('embeddings.position_embeddings.weight', shape.maxPositions),
    embedding('embeddings.token_type_embeddings.weight', shape.typeVocabSize),
    ...layerNorm('embeddings.LayerNorm'),
  ]
  for (let i = 0; i < shape.numLayers; i++) {
    const p = `encoder.layer.${i}`
    specs.push(
      ...linear(`${p}.attention.self.query`, h, h),
      ...linear(`${p}.attention.self.key`, h, h),
      ...linear(`${p}.attention.self.value`, h, h),
      ...linear(`${p}.attention.output.dense`, h, h),
      ...layerNorm(`${p}.attention.output.LayerNorm`),
      ...linear(`${p}.intermediate.dense`, h, ff),
      ...linear(`${p}.output.dense`, ff, h),
      ...layerNorm(`${p}.output.LayerNorm`),
    )
  }
  return specs
}

/** The model file's bytes for a shape and seed. */
export function buildBertModel(shape: BertShape, seed: number): Uint8Array {
  const { hiddenSize: h, numHeads } = shape
  const headDim = h / numHeads
  if (!Number.isInteger(headDim)) throw new Error('hiddenSize must be a multiple of numHeads')
  const g = new GraphBuilder()
  for (const spec of bertWeightSpecs(shape))
    g.floats(spec.name, spec.dims, generateWeights(spec, seed))

  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length'])
  const mask = g.input('attention_mask', 'int64', ['batch_size', 'sequence_length'])
  const types = g.input('token_type_ids', 'int64', ['batch_size', 'sequence_length'])
  const axis0 = g.int64s('const/axis_0', [1], [0])
  const zero = g.int64s('const/zero', [], [0])
  const one = g.int64s('const/one', [], [1])
  const oneF = g.floats('const/one_f', [], [1])

  const layerNorm = (name: string, x: string, prefix: string) =>
    g.op(name, 'LayerNormalization', [x, `${prefix}.weight`, `${prefix}.bias`], {
      axis: int(-1),
      epsilon: float(shape.layerNormEps),
    })
  const dense = (name: string, x: string, prefix: string) =>
    g.op(`${name}/add`, 'Add', [
      g.op(`${name}/matmul`, 'MatMul', [x, `${prefix}.weight`]),
      `${prefix}.bias`,
    ])

  // Embeddings: positions 0 … S−1 for every row.
  const seqLength = g.op('embed/seq_length', 'Squeeze', [
    g.op('embed/seq_length_1d', 'Shape', [ids], { start: int(1), end: int(2) }),
    axis0,
  ])
  const positions = g.op('embed/positions', 'Range', [zero, seqLength, one])
  const words = g.op('embed/words', 'Gather', ['embeddings.word_embeddings.weight', ids])
  const place = g.op('embed/place', 'Gather', ['embeddings.position_embeddings.weight', positions])
  const kind = g.op('embed/types', 'Gather', ['embeddings.token_type_embeddings.weight', types])
  const summed = g.op('embed/sum', 'Add', [g.op('embed/sum_wp', 'Add', [words, place]), kind])
  let x = layerNorm('embed/norm', summed, 'embeddings.LayerNorm')

  // Padding keys get −10000 before the softmax, as BERT's extended attention mask does.
  const maskF = g.op('mask/float', 'Cast', [mask], { to: int(dataType('float32')) })
  const padding = g.op('mask/padding', 'Sub', [oneF, maskF])
  const bias = g.op('mask/bias', 'Unsqueeze', [
    g.op('mask/bias_2d', 'Mul', [padding, g.floats('const/masked', [], [-10000])]),
    g.int64s('const/axes_1_2', [2], [1, 2]),
  ])
  const heads = g.int64s('const/shape_heads', [4], [0, 0, numHeads, headDim])
  const merged = g.int64s('const/shape_merged', [3], [0, 0, h])
  const scale = g.floats('const/scale', [], [1 / Math.sqrt(headDim)])
  const sqrtHalf = g.floats('const/sqrt_half', [], [Math.SQRT1_2])
  const half = g.floats('const/half', [], [0.5])

  for (let i = 0; i < shape.numLayers; i++) {
    const p = `encoder.layer.${i}`
    const n = `layer${i}`
    const split = (name: string, perm: number[]) =>
      g.op(
        `${n}/${name}/heads`,
        'Transpose',
        [
          g.op(`${n}/${name}/reshape`, 'Reshape', [
            dense(`${n}/${name}`, x, `${p}.attention.self.${name}`),
            heads,
          ]),
        ],
        { perm: ints(perm) },
      )
    const q = split('query', [0, 2, 1, 3]) // [B, heads, S, D]
    const kT = split('key', [0, 2, 3, 1]) // [B, heads, D, S]
    const v = split('value', [0, 2, 1, 3])
    const scores = g.op(`${n}/scores`, 'Add', [
      g.op(`${n}/scores_scaled`, 'Mul', [g.op(`${n}/qk`, 'MatMul', [q, kT]), scale]),
      bias,
    ])
    const probs = g.op(`${n}/probs`, 'Softmax', [scores], { axis: int(-1) })
    const context = g.op(`${n}/context`, 'Reshape', [
      g.op(`${n}/context_t`, 'Transpose', [g.op(`${n}/pv`, 'MatMul', [probs, v])], {
        perm: ints([0, 2, 1, 3]),
      }),
      merged,
    ])
    const attended = dense(`${n}/attn_out`, context, `${p}.attention.output.dense`)
    x = layerNorm(
      `${n}/attn_norm`,
      g.op(`${n}/attn_res`, 'Add', [x, attended]),
      `${p}.attention.output.LayerNorm`,
    )
    const up = dense(`${n}/up`, x, `${p}.intermediate.dense`)
    // GELU (erf form): 0.5 · x · (1 + erf(x / √2)).
    const erf = g.op(`${n}/gelu/erf`, 'Erf', [g.op(`${n}/gelu/scaled`, 'Mul', [up, sqrtHalf])])
    const gelu = g.op(`${n}/gelu`, 'Mul', [
      g.op(`${n}/gelu/half_x`, 'Mul', [up, half]),
      g.op(`${n}/gelu/one_plus`, 'Add', [erf, oneF]),
    ])
    const down = dense(`${n}/down`, gelu, `${p}.output.dense`)
    x = layerNorm(`${n}/out_norm`, g.op(`${n}/out_res`, 'Add', [x, down]), `${p}.output.LayerNorm`)
  }
  g.op('last_hidden_state', 'Identity', [x])
  g.output('last_hidden_state', 'float32', ['batch_size', 'sequence_length', h])
  return g.toBytes({
    graphName: 'tiny-bert',
    opset: OPSET,
    producerName: 'tiny-bert',
    producerVersion: '1',
    docString: 'A BERT-style encoder with seeded random weights, for tests',
    metadata: { seed: String(seed) },
  })
}
