/**
 * The edge worker: authenticate the tenant, admit the request against its
 * limits, apply templates, serve cached vectors from KV and forward only the
 * misses to an inference node. `/admin` is the operator's API.
 *
 * The README's request walk: step 1.
 */
import { Hono } from 'hono'
import { requestId } from 'hono/request-id'
import { timing } from 'hono/timing'
import { adminRoute } from './admin/route.ts'
import { edgeConfig } from './config.ts'
import { embeddingsRoute } from './embeddings/route.ts'
import type { AppEnv } from './env.ts'
import { bodySizeLimit } from './middleware/body-size.ts'
import { handleError, handleNotFound } from './middleware/error-handler.ts'
import { tenantAuth } from './middleware/tenant-auth.ts'
import { tenantLimits } from './middleware/tenant-limits.ts'
import { discardUnreadBody } from './middleware/unread-body.ts'
import { modelsRoute } from './models/route.ts'
import openApiDocument from './openapi/openapi.json'

const app = new Hono<AppEnv>()

app.use(requestId())
app.use(discardUnreadBody)
// A setting that cannot be used stops every route, /health included (edge/config.ts says why).
app.use(async (c, next) => {
  edgeConfig(c.env)
  await next()
})
app.use(timing({ crossOrigin: true }))
app.onError(handleError)
app.notFound(handleNotFound)

app.get('/health', (c) => c.json({ status: 'ok' }))
// The API's description, generated from the schemas that validate it (npm run openapi): open, as
// the API is public.
app.get('/openapi.json', (c) => c.json(openApiDocument))

app.use('/v1/*', tenantAuth)
app.use('/v1/*', tenantLimits)
app.use('/v1/*', bodySizeLimit)
app.route('/v1/embeddings', embeddingsRoute)
app.route('/v1/models', modelsRoute)

app.route('/admin', adminRoute)

export default app
// The Durable Object classes the runtime instantiates must be exports of the main module.
export { TenantLimiter } from './limits/tenant-limiter.ts'
