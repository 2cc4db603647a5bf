/**
 * Baseline (c): @huggingface/transformers' feature-extraction pipeline on the same ONNX model,
 * called once per request, served the same way as the naive server. Run as its own process
 * by main.ts on a folder made by hf-folder.ts.
 *
 * When the pipeline cannot serve the model, the process prints one line starting with
 * CANNOT_SERVE and the exact reason, and exits 2; main.ts reports that reason.
 */
import { env, pipeline } from '@huggingface/transformers'
import { baselineEnv, createBaselineApp, serveBaseline } from './baseline-app.ts'
import { CANNOT_SERVE } from './server-process.ts'
import { benchSessionOptions, sessionSettingsFromEnv } from './session-options.ts'

/** What FeatureExtractionPipeline reads from the model's outputs, in this order. */
const PIPELINE_OUTPUTS = ['last_hidden_state', 'logits', 'token_embeddings']

const { modelDir, secret } = baselineEnv()
const pooling = (process.env.BENCH_HF_POOLING ?? 'none') as 'none' | 'mean' | 'cls' | 'last_token'
env.allowRemoteModels = false
try {
  const extractor = await pipeline('feature-extraction', modelDir, {
    local_files_only: true,
    device: 'cpu',
    dtype: 'fp32',
    session_options: benchSessionOptions(sessionSettingsFromEnv()),
  })
  const embedOne = async (text: string) => {
    const output = await extractor(text, { pooling, normalize: true })
    // The pipeline returns no token counts; counting costs a second tokenization.
    const tokens = extractor.tokenizer.encode(text).length
    return { vector: output.data as Float32Array, tokens }
  }
  try {
    await embedOne('a first call, so that a failure shows here rather than under load')
  } catch (err) {
    throw new Error(`the pipeline failed (${(err as Error).message})${explain(extractor, pooling)}`)
  }
  serveBaseline('transformers.js server', createBaselineApp(secret, embedOne))
} catch (err) {
  console.error(`${CANNOT_SERVE} ${(err as Error).message.split('\n')[0]}`)
  process.exit(2)
}

/** Why the pipeline found nothing to pool, when the graph lacks every output it reads. */
function explain(extractor: unknown, pooling: string): string {
  const sessions = (extractor as { model: { sessions: Record<string, { outputNames: string[] }> } })
    .model.sessions
  const outputs = sessions.model?.outputNames ?? []
  if (outputs.some((name) => PIPELINE_OUTPUTS.includes(name))) return ''
  return (
    `: feature-extraction takes ${PIPELINE_OUTPUTS.join(' ?? ')} from the model's outputs, ` +
    `and this graph's outputs are [${outputs.join(', ')}]` +
    (pooling === 'none' ? ' (the model pools inside its graph)' : '')
  )
}
