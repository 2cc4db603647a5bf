/**
 * Admin: `GET /admin/monitor`, every inference node's vector drift report
 * (the node's signed `/monitor`): its state (`ok`, `drifted`, `starting`), the
 * figures against its baseline and the thresholds. A node that does not
 * answer is listed as `unreachable` with the reason, so one look tells which
 * hosts serve vectors the cache no longer takes.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { fetchNodeMonitor } from '../origin/node-client.ts'
import { nodePool } from '../origin/node-pool.ts'

export const monitorRoute = new Hono<AppEnv>()

monitorRoute.get('/monitor', async (c) => {
  const { nodes, config } = nodePool(c.env)
  const reports = await Promise.all(
    nodes.map(async ({ url }) => {
      try {
        return {
          url,
          ...((await fetchNodeMonitor(url, config.secret, config.timeoutMs)) as object),
        }
      } catch (err) {
        return { url, state: 'unreachable', error: (err as Error).message }
      }
    }),
  )
  return c.json({ nodes: reports })
})
