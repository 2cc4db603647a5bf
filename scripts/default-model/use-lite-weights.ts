/**
 * Names the pieces of the Universal Sentence Encoder lite TF.js graph: which tensor is which
 * weight, and the hyperparameters (heads, epsilons, maximum length) that the graph stores as
 * constants. Reading them from the graph, instead of writing them down here, means a different
 * build of the model fails loudly in `requireTensor` rather than converting with stale numbers.
 */
import type { TfjsGraph, TfjsTensor } from './read-tfjs-graph.ts'

/** A row-major `[rows, cols]` float32 matrix: `x · kernel` maps `rows` features to `cols`. */
export interface Matrix {
  rows: number
  cols: number
  data: Float32Array
}

export interface Dense {
  kernel: Matrix
  bias: Float32Array
}

export interface Norm {
  scale: Float32Array
  bias: Float32Array
}

export interface TransformerLayer {
  inputNorm: Norm
  /** Query, key and value projections side by side in one kernel (`cols` = 3 × model width). */
  qkv: Dense
  heads: number
  /** Multiplies the queries before the dot product (1 / √head width in this model). */
  queryScale: number
  output: Dense
  /** Projects the residual when the layer changes width (the first layer: 256 → 512). */
  residualProjection: Dense | null
  ffnNorm: Norm
  ffnIn: Dense
  ffnOut: Dense
}

export interface UseLiteWeights {
  /** `[vocab, width]` token embeddings (the graph adds them twice; see convert-graph.ts). */
  embeddings: Matrix
  /** Frequencies of the sinusoidal position signal: sin(p·t) for each t, then cos(p·t). */
  timescales: Float32Array
  /** Tokens past this position are dropped by the original graph. */
  maxLength: number
  layerNormEpsilon: number
  /** Added to attention logits of padding keys. */
  paddingBias: number
  layers: TransformerLayer[]
  /** The dense + tanh layer after mean pooling. */
  hidden: Dense
  /** Lower bound on the squared norm before L2 normalization. */
  l2Epsilon: number
}

const KONA = 'module_apply_default/Encoder_en/KonaTransformer/'
const STACK = `${KONA}Encode/TransformerStack/`
// TF's constant folding left constants used by both layers (heads, epsilon, ...) under Layer_1.
const SHARED = `${STACK}Layer_1/TransformerLayer/`
const MODULE = 'module/Encoder_en/'

/** Picks the USE-lite weights out of a TF.js graph read by `readTfjsGraph`. */
export function useLiteWeights(graph: TfjsGraph): UseLiteWeights {
  const inputs = graph.nodes.filter((n) => n.op === 'Placeholder').map((n) => n.name)
  if (inputs.join(',') !== 'indices,values') {
    throw new Error(`expected sparse inputs "indices,values", graph has "${inputs.join(',')}"`)
  }
  const w = graph.weights
  const embeddings = matrix(requireTensor(w, 'module/Embeddings_en'))
  const heads = scalar(
    w,
    `${SHARED}MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2`,
  )

  const layers: TransformerLayer[] = []
  for (let i = 0; w.has(attentionKernel(i, 'qkv')); i++) layers.push(layer(w, i, heads))
  if (layers.length === 0) throw new Error('no transformer layers found in the graph')

  const weights: UseLiteWeights = {
    embeddings,
    timescales: requireTensor(w, `${STACK}Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`)
      .data as Float32Array,
    maxLength: scalar(w, `${KONA}ClipToMaxLength/Less/y`),
    layerNormEpsilon: scalar(w, `${SHARED}FFN/layer_prepostprocess/layer_norm/Cast/x`),
    paddingBias: scalar(
      w,
      `${SHARED}MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y`,
    ),
    layers,
    hidden: {
      kernel: matrix(requireTensor(w, `${MODULE}hidden_layers/tanh_layer_0/weights`)),
      bias: vector(w, `${MODULE}hidden_layers/tanh_layer_0/bias`),
    },
    l2Epsilon: scalar(w, 'module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y'),
  }
  checkShapes(weights)
  return weights
}

/** The attention projections are stored as 1×1 convolution kernels, outside the layer scopes. */
function attentionKernel(i: number, which: 'qkv' | 'output'): string {
  const scope = `${MODULE}KonaTransformer/Encode/Layer_${i}/TransformerLayer/MultiheadAttention/`
  return `${scope}${which}_transform_single/kernel/part_0`
}

function layer(w: Map<string, TfjsTensor>, i: number, heads: number): TransformerLayer {
  // Trainable variables live under `Encode/Layer_i`, folded constants under `TransformerStack`.
  const vars = `${KONA}Encode/Layer_${i}/TransformerLayer/`
  const ops = `${STACK}Layer_${i}/TransformerLayer/`
  const kernel = (name: string): Matrix => matrix(requireTensor(w, name))
  const bias = (name: string): Float32Array => vector(w, `${vars}${name}/ConcatPartitions/concat`)
  const norm = (prefix: string): Norm => ({
    scale: bias(`${prefix}layer_prepostprocess/layer_norm/layer_norm_scale`),
    bias: bias(`${prefix}layer_prepostprocess/layer_norm/layer_norm_bias`),
  })
  const hasProjection = w.has(`${vars}dense/kernel/ConcatPartitions/concat`)
  return {
    inputNorm: norm(''),
    qkv: {
      kernel: kernel(attentionKernel(i, 'qkv')),
      bias: bias('MultiheadAttention/qkv_transform_single/bias'),
    },
    heads,
    queryScale: scalar(w, `${ops}MultiheadAttention/mul/y`),
    output: {
      kernel: kernel(attentionKernel(i, 'output')),
      bias: bias('MultiheadAttention/output_transform_single/bias'),
    },
    residualProjection: hasProjection
      ? { kernel: kernel(`${vars}dense/kernel/ConcatPartitions/concat`), bias: bias('dense/bias') }
      : null,
    ffnNorm: norm('FFN/'),
    ffnIn: { kernel: kernel(`${ops}FFN/conv1/Tensordot/Reshape_1`), bias: bias('FFN/conv1/bias') },
    ffnOut: { kernel: kernel(`${ops}FFN/conv2/Tensordot/Reshape_1`), bias: bias('FFN/conv2/bias') },
  }
}

/** Throws unless every matrix chains onto the next: a wrong name shows up here, not at run time. */
function checkShapes(m: UseLiteWeights): void {
  const expect = (what: string, actual: number, wanted: number): void => {
    if (actual !== wanted) throw new Error(`${what}: expected ${wanted}, got ${actual}`)
  }
  let width = m.embeddings.cols
  expect('timing signal width', 2 * m.timescales.length, width)
  m.layers.forEach((l, i) => {
    const at = (what: string): string => `layer ${i} ${what}`
    expect(at('input norm'), l.inputNorm.scale.length, width)
    expect(at('qkv input'), l.qkv.kernel.rows, width)
    const inner = l.qkv.kernel.cols / 3
    expect(at('qkv bias'), l.qkv.bias.length, 3 * inner)
    expect(at('head width'), (inner / l.heads) % 1, 0)
    expect(at('output input'), l.output.kernel.rows, inner)
    const out = l.output.kernel.cols
    if (l.residualProjection) {
      expect(at('residual input'), l.residualProjection.kernel.rows, width)
      expect(at('residual output'), l.residualProjection.kernel.cols, out)
    } else {
      expect(at('residual width'), width, out)
    }
    expect(at('ffn norm'), l.ffnNorm.scale.length, out)
    expect(at('ffn input'), l.ffnIn.kernel.rows, out)
    expect(at('ffn output'), l.ffnOut.kernel.rows, l.ffnIn.kernel.cols)
    expect(at('ffn width'), l.ffnOut.kernel.cols, out)
    width = out
  })
  expect('hidden input', m.hidden.kernel.rows, width)
}

function requireTensor(w: Map<string, TfjsTensor>, name: string): TfjsTensor {
  const t = w.get(name)
  if (!t) throw new Error(`tensor not found in TF.js graph: ${name}`)
  return t
}

/** Accepts `[rows, cols]`, and 1×1 convolution kernels `[1, 1, rows, cols]` (same layout). */
function matrix(t: TfjsTensor): Matrix {
  const dims = t.shape.filter((d, i) => !(d === 1 && i < t.shape.length - 2))
  if (dims.length !== 2 || t.dtype !== 'float32') {
    throw new Error(`${t.name}: expected a float32 matrix, got ${t.dtype}[${t.shape.join(',')}]`)
  }
  return { rows: dims[0], cols: dims[1], data: t.data as Float32Array }
}

function vector(w: Map<string, TfjsTensor>, name: string): Float32Array {
  const t = requireTensor(w, name)
  if (t.shape.length !== 1 || t.dtype !== 'float32') throw new Error(`${name}: expected a vector`)
  return t.data as Float32Array
}

function scalar(w: Map<string, TfjsTensor>, name: string): number {
  const t = requireTensor(w, name)
  if (t.data.length !== 1) throw new Error(`${name}: expected a scalar, got [${t.shape.join(',')}]`)
  return t.data[0]
}
