/**
 * The node's HTTP surface: the signed embed endpoint the edge calls, and the
 * probes an orchestrator needs (`/health` alive, `/ready` model loaded and
 * warm, `/info` what is served and on which execution provider).
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { z } from 'zod'
import { ApiError } from '../../shared/errors.ts'
import {
  EMBED_PATH,
  FRAME_CONTENT_TYPE,
  INFO_PATH,
  MODEL_REVISION_HEADER,
  type EmbedRequest,
  type NodeInfo,
} from '../../shared/node-protocol.ts'
import { encodeFrame } from '../../shared/vector-codec.ts'
import type { EmbeddingService } from '../core/embedding-service.ts'
import { verifySignedBody, type SignedBodyEnv } from './verify-signature.ts'

export interface NodeAppOptions {
  service: EmbeddingService
  secret: string
  executionProvider: string
  maxBatchSize: number
  maxInputsPerRequest: number
  maxBodyBytes: number
  /** False until the model is loaded and warmed; `/ready` answers 503 until then. */
  isReady: () => boolean
}

function embedRequestSchema(maxInputs: number) {
  const input = z.union([
    z.strictObject({ text: z.string().min(1) }),
    z.strictObject({ ids: z.array(z.number().int().nonnegative()).min(1) }),
  ])
  return z.object({
    model: z.string().min(1),
    inputs: z.array(input).min(1).max(maxInputs),
    truncate: z.boolean(),
  })
}

export function createNodeApp(options: NodeAppOptions): Hono<SignedBodyEnv> {
  const { service } = options
  const requestSchema = embedRequestSchema(options.maxInputsPerRequest)
  const app = new Hono<SignedBodyEnv>()

  app.onError((err) => {
    if (err instanceof ApiError) return err.toResponse()
    console.error('[node] request failed:', err)
    return new ApiError(500, 'inference failed').toResponse()
  })

  app.get('/health', (c) => c.json({ status: 'ok' }))
  app.get('/ready', (c) =>
    options.isReady() ? c.json({ status: 'ready' }) : c.json({ status: 'loading' }, 503),
  )
  app.get(INFO_PATH, (c) => {
    const info: NodeInfo = {
      models: [service.info],
      execution_provider: options.executionProvider,
      max_batch_size: options.maxBatchSize,
    }
    return c.json(info)
  })

  app.post(
    EMBED_PATH,
    bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: () => {
        throw new ApiError(413, `the request body is over ${options.maxBodyBytes} bytes`)
      },
    }),
    verifySignedBody(options.secret),
    async (c) => {
      if (!options.isReady()) throw new ApiError(503, 'the model is still loading')
      let json: unknown
      try {
        json = JSON.parse(new TextDecoder().decode(c.get('body')))
      } catch {
        throw new ApiError(400, 'the body is not valid JSON')
      }
      const parsed = requestSchema.safeParse(json)
      if (!parsed.success)
        throw new ApiError(400, `invalid embed request: ${parsed.error.issues[0].message}`)
      const frame = await service.embed(parsed.data as EmbedRequest)
      return c.body(encodeFrame(frame) as Uint8Array<ArrayBuffer>, 200, {
        'content-type': FRAME_CONTENT_TYPE,
        [MODEL_REVISION_HEADER]: service.manifest.revision,
      })
    },
  )
  return app
}
