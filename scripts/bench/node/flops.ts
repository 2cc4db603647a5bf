/**
 * How much arithmetic one forward pass of a Qwen3-shaped model does, to turn tokens/s into
 * GFLOP/s. For one input of n tokens, with L layers, hidden size h, H query and K key/value
 * heads of size d, MLP size I:
 *
 *   matmuls:    2 · P · n,  P = L · (h·H·d [q] + 2·h·K·d [k, v] + H·d·h [o] + 3·h·I [gate, up, down])
 *   attention:  L · H · 4 · n² · d   (Q·Kᵀ and scores·V, each 2·n²·d per head; the full n×n as
 *               ONNX computes it, the causal mask saves nothing)
 *
 * Left out: the embedding lookup (a gather), RMSNorm, RoPE, SiLU and softmax, together well
 * under 1% at these sizes. No LM head: an embedding model stops at the last hidden state.
 * For the 0.6B shape P = 440 M, so about 0.88 GFLOP per token plus 0.23 MFLOP · n.
 */
import type { Qwen3Shape } from '../../tiny-qwen3/config.ts'

/** FLOPs of one forward pass over one unpadded input of `tokens` tokens. */
export function qwen3Flops(shape: Qwen3Shape): (tokens: number) => number {
  const { numLayers: L, hiddenSize: h, numHeads: H, numKvHeads: K, headDim: d } = shape
  const P = L * (h * H * d + 2 * h * K * d + H * d * h + 3 * h * shape.intermediateSize)
  const attentionPerTokenSquared = L * H * 4 * d
  return (n) => 2 * P * n + attentionPerTokenSquared * n * n
}
