/**
 * The admin API (`/admin/*`), behind its own secret: tenants, their keys,
 * their usage, the inference nodes' drift reports, and the origin pool's routing state. The keys CLI (`npm run keys`) is its client.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { adminAuth } from './admin-auth.ts'
import { keysRoute } from './keys-route.ts'
import { monitorRoute } from './monitor-route.ts'
import { poolRoute } from './pool-route.ts'
import { tenantsRoute } from './tenants-route.ts'
import { usageRoute } from './usage-route.ts'

export const adminRoute = new Hono<AppEnv>()

adminRoute.use('*', adminAuth)
adminRoute.route('/', tenantsRoute)
adminRoute.route('/', keysRoute)
adminRoute.route('/', usageRoute)
adminRoute.route('/', monitorRoute)
adminRoute.route('/', poolRoute)
