/**
 * Derivation rules on the config files of model families the generated folders do not cover:
 * each case is the files a published export carries, reduced to the fields that matter.
 */
import { describe, expect, it } from 'vitest'
import { deriveManifest, type DeriveContext } from './derive-manifest.ts'
import type { HfFiles } from './hf-files.ts'
import type { GraphInfo, GraphTensor } from './onnx-graph-info.ts'

const int64 = (name: string): GraphTensor => ({ name, type: 'int64', shape: ['batch', 'sequence'] })

function context(
  files: Partial<HfFiles>,
  graph: Partial<GraphInfo> & { outputs: GraphTensor[] },
): DeriveContext {
  return {
    files: {
      config: null,
      tokenizerConfig: null,
      modules: null,
      pooling: null,
      sentenceTransformers: null,
      sentenceBert: null,
      files: [],
      ...files,
    },
    graph: {
      inputs: [int64('input_ids'), int64('attention_mask')],
      ops: new Map(),
      externalFiles: [],
      ...graph,
    },
    onnxFile: 'onnx/model.onnx',
    override: null,
    id: { value: 'm', source: "the folder's name" },
    modelId: undefined,
    revision: { value: 'r', source: 'test' },
    tokenId: (token) => ({ '<pad>': 1, '<|endoftext|>': 151643 })[token],
    appendedToken: null,
  }
}

const hidden = (width: number): GraphTensor => ({
  name: 'last_hidden_state',
  type: 'float32',
  shape: ['batch', 'sequence', width],
})

describe('deriveManifest', () => {
  it('serves an XLM-RoBERTa encoder: mean pooling, right padding, positions after the pad id', () => {
    const { manifest, fields, refusals } = deriveManifest(
      context(
        {
          config: {
            file: 'config.json',
            value: {
              model_type: 'xlm-roberta',
              hidden_size: 768,
              max_position_embeddings: 514,
              pad_token_id: 1,
              num_attention_heads: 12,
            },
          },
          tokenizerConfig: { file: 'tokenizer_config.json', value: { pad_token: '<pad>' } },
        },
        { outputs: [hidden(768)] },
      ),
    )
    expect(refusals).toEqual([])
    expect(manifest).toMatchObject({
      pooling: 'mean',
      padding_side: 'right',
      eos_token_id: null,
      pad_token_id: 1,
      max_input_tokens: 512,
      matryoshka: false,
      instruction_format: 'none',
      attention_heads: 12,
    })
    expect(fields.max_input_tokens?.source).toMatch(/− 2/)
  })

  it('serves a graph that pools itself as in_graph, even with a 1_Pooling folder, at its own width', () => {
    const { manifest, refusals } = deriveManifest(
      context(
        {
          config: {
            file: 'config.json',
            value: { model_type: 'bert', hidden_size: 768, max_position_embeddings: 512 },
          },
          pooling: { file: '1_Pooling/config.json', value: { pooling_mode_mean_tokens: true } },
        },
        { outputs: [{ name: 'sentence_embedding', type: 'float32', shape: ['batch', 256] }] },
      ),
    )
    expect(refusals).toEqual([])
    expect(manifest).toMatchObject({
      pooling: 'in_graph',
      dimensions: 256,
      graph: { output: 'sentence_embedding' },
    })
  })

  it('bounds MultiHeadAttention and float16 GroupQueryAttention by heads; float32 GQA it does not', () => {
    const config = {
      file: 'config.json',
      value: {
        model_type: 'qwen3',
        hidden_size: 64,
        max_position_embeddings: 32768,
        num_attention_heads: 4,
      },
    }
    const heads = (op: string, type: string) =>
      deriveManifest(
        context(
          { config },
          { ops: new Map([[`com.microsoft:${op}`, 2]]), outputs: [{ ...hidden(64), type }] },
        ),
      ).manifest?.attention_heads
    expect(heads('MultiHeadAttention', 'float32')).toBe(4)
    expect(heads('GroupQueryAttention', 'float16')).toBe(4)
    expect(heads('GroupQueryAttention', 'float32')).toBeNull()
  })

  it('refuses two pooling modes at once, and names the file', () => {
    const { manifest, refusals } = deriveManifest(
      context(
        {
          config: {
            file: 'config.json',
            value: { model_type: 'bert', hidden_size: 8, max_position_embeddings: 512 },
          },
          pooling: {
            file: '1_Pooling/config.json',
            value: { pooling_mode_mean_tokens: true, pooling_mode_cls_token: true },
          },
        },
        { outputs: [hidden(8)] },
      ),
    )
    expect(manifest).toBeNull()
    expect(refusals).toContain(
      'pooling: 1_Pooling/config.json turns on 2 pooling modes; the node serves exactly one',
    )
  })
})
