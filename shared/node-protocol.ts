/**
 * The contract between the edge and an inference node.
 *
 * `POST /internal/embed` with a signed JSON body (see signing.ts); the answer
 * is a binary vector frame (see vector-codec.ts) of full-dimension, unit-length
 * vectors in input order, one token count each. `GET /info` describes the
 * models a node serves, so the edge validates `dimensions` and derives cache
 * keys without a copy of each manifest.
 *
 * The embed request is a zod schema: the edge builds its calls as its type, and the node
 * validates what it receives with it, so the two cannot drift apart.
 */
import * as z from './zod-mini.ts'

export const EMBED_PATH = '/internal/embed'
export const INFO_PATH = '/info'
/** Open: 200 once the model is loaded and warm; 503 while loading, restarting or draining. */
export const READY_PATH = '/ready'
/** Signed GET: the node's vector drift figures and state (gpu-node/monitor/drift-monitor.ts). */
export const MONITOR_PATH = '/monitor'
export const FRAME_CONTENT_TYPE = 'application/x-embedding-frame'
/** Response header with the revision of the model that computed the frame. */
export const MODEL_REVISION_HEADER = 'x-model-revision'
/**
 * Response header with the node's drift state (`ok`, `drifted`, `starting`): the edge answers
 * with a drifted node's vectors but caches none of them.
 */
export const VECTORS_STATE_HEADER = 'x-vectors'
/**
 * Response header with the ms the node spent on the call (tokenizing, queueing, inference), as
 * text-embeddings-inference names it: the edge takes it from the round trip to learn the network's share.
 */
export const TOTAL_TIME_HEADER = 'x-total-time'

/** One final input: text after the template, or token ids that skip tokenization. */
export const ModelInputSchema = z.union([
  z.strictObject({ text: z.string().check(z.minLength(1)) }),
  z.strictObject({ ids: z.array(z.int().check(z.nonnegative())).check(z.minLength(1)) }),
])
export type ModelInput = z.infer<typeof ModelInputSchema>

/**
 * Whether an input of `tokens` tokens may have been cut to fit: it reached the model's
 * maximum. Its cached vector must not answer a request with `truncate: false`, which would
 * have been refused (422) had the input been longer. The edge's tiers and the node's cache
 * apply the same rule.
 */
export function mayHaveBeenCut(tokens: number, maxInputTokens: number): boolean {
  return tokens >= maxInputTokens
}

/** An opaque tag the edge derives (a tenant's, a cache scope's): no id crosses to the node. */
const tagSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/))

/**
 * `POST /internal/embed`'s body, for a node that takes at most `maxInputs` inputs a call.
 * - `tenant`: the tenant, as an opaque tag (a hash of its id): the node's queue is fair
 *   between tags. Absent: one shared tag.
 * - `cache_scope`: the tenant's cache scope, as an opaque tag: the node's vector cache answers
 *   a request only with vectors computed for the same scope, so timing cannot tell one tenant
 *   what another embedded. Absent: one shared scope.
 * - `input_digests`: each input's digest, as shared/cache-key.ts computes it (the edge has
 *   it already, in the input's cache key): the node keys its own cache by it instead of
 *   hashing every input again. Absent: the node hashes them itself.
 * - `max_tokens`: most tokens this call may have, all inputs together; past it, 400 before
 *   inference.
 */
export function embedRequestSchema(maxInputs: number) {
  return z
    .object({
      model: z.string().check(z.minLength(1)),
      inputs: z.array(ModelInputSchema).check(z.minLength(1), z.maxLength(maxInputs)),
      /** true: cut inputs longer than the model's maximum; false: refuse them with 422. */
      truncate: z.boolean(),
      tenant: z.optional(tagSchema),
      cache_scope: z.optional(tagSchema),
      input_digests: z.optional(z.array(z.string().check(z.regex(/^[0-9a-f]{64}$/)))),
      max_tokens: z.optional(z.int().check(z.positive())),
    })
    .check(
      z.refine(
        (request) =>
          (request.input_digests?.length ?? request.inputs.length) === request.inputs.length,
        {
          message: 'input_digests must have one digest per input',
          path: ['input_digests'],
        },
      ),
    )
}
export type EmbedRequest = z.infer<ReturnType<typeof embedRequestSchema>>

export interface ModelInfo {
  id: string
  revision: string
  dimensions: number
  max_input_tokens: number
  matryoshka: boolean
  instruction_format: 'qwen3' | 'none'
  default_instruction?: string
  /** The precision variant served (`fp32`, `fp16`, `q8`, …); the revision names it too. */
  variant?: string
}

export interface NodeInfo {
  models: ModelInfo[]
  /** The onnxruntime execution provider actually in use, e.g. `cpu` or `cuda`. */
  execution_provider: string
  max_batch_size: number
  /** MAX_BATCH_TOKENS: the edge splits what it sends so that no call's tokens can pass it. */
  max_batch_tokens?: number
  /**
   * `drifted` once the node's vectors moved past a threshold from their baseline: the edge then
   * answers with them but caches none; `starting` before the baseline is taken.
   */
  vectors?: 'ok' | 'drifted' | 'starting'
  /**
   * Set when the node runs on a SIMULATED device (EXECUTION_PROVIDERS=sim:…): no model runs and
   * its vectors are stand-ins, for measuring the host path. Names the presets.
   */
  simulated_device?: string
}
