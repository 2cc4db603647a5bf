/**
 * The origin pool's nodes, from the settings edge/config.ts reads. NODE_POOLS
 * lays the inference nodes out in GPU regions, each with its place; without
 * it, NODE_URLS lists them (comma- or space-separated) as one region with no
 * place, and without that the pool is NODE_URL alone, as a single-node
 * deployment has it.
 */
import * as z from '../../shared/zod-mini.ts'
import { SettingError } from '../setting-error.ts'
import type { Place } from './place.ts'

/** A GPU region: its nodes, and where it is (null: NODE_URLS, which says nothing of place). */
export interface PoolRegion {
  name: string
  place: Place | null
  urls: string[]
}

export interface PoolConfig {
  regions: PoolRegion[]
  secret: string
  /** Budget for one request's node calls, retries included; past it the client gets 504. */
  timeoutMs: number
  /** Consecutive failures that open a node's breaker. */
  breakerFailures: number
  /** How long an open breaker waits before a half-open probe. */
  breakerCooldownMs: number
  /** How often, at most, the nodes' /ready and /info are checked in the background. */
  healthIntervalMs: number
}

/** The settings that say where the nodes are, as edge/config.ts reads them. */
export interface NodeAddresses {
  /** NODE_POOLS: JSON text, or (a TOML array in wrangler.toml) already parsed; unset: undefined. */
  pools: unknown
  /** NODE_URLS, else NODE_URL. */
  urls: string
  /** ALLOW_INSECURE_NODE_URLS=1. */
  allowInsecure: boolean
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]'])

function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname)
}

/** Why a node URL cannot be used (without the URL: clients read it), or null. */
function urlProblem(url: string, allowInsecure: boolean): string | null {
  if (!URL.canParse(url)) return 'a node URL is not a URL'
  const parsed = new URL(url)
  if (parsed.protocol === 'https:') return null
  if (parsed.protocol !== 'http:') return 'a node URL is not http(s)'
  if (isLoopback(parsed) || allowInsecure) return null
  // Signatures keep requests and vectors authentic, but the texts would travel in the clear.
  return (
    'a node URL is plain http to another machine, so texts would cross the network ' +
    'unencrypted: use https, or set ALLOW_INSECURE_NODE_URLS=1 on a private network'
  )
}

const RegionsSchema = z
  .array(
    z.strictObject({
      region: z.string().check(z.minLength(1), z.maxLength(64)),
      lat: z.number().check(z.minimum(-90), z.maximum(90)),
      lon: z.number().check(z.minimum(-180), z.maximum(180)),
      urls: z.array(z.string()).check(z.minLength(1)),
    }),
  )
  .check(z.minLength(1))

function misconfigured(variable: string, problem: string, bad?: string): never {
  const detail = bad ? `${variable}: '${bad}'` : variable
  throw new SettingError(`no usable inference node is configured: ${problem}`, detail)
}

/** Whether NODE_POOLS is set: a JSON string, or (a TOML array in wrangler.toml) already parsed. */
function poolsDeclared(nodes: NodeAddresses): boolean {
  const pools = nodes.pools
  return typeof pools === 'string' ? pools.trim() !== '' : pools !== undefined && pools !== null
}

/** NODE_POOLS as regions, or null when it is not set. */
function declaredRegions(nodes: NodeAddresses): PoolRegion[] | null {
  if (!poolsDeclared(nodes)) return null
  let json: unknown = nodes.pools
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json)
    } catch {
      misconfigured('NODE_POOLS', 'NODE_POOLS is not JSON')
    }
  }
  const parsed = RegionsSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    misconfigured('NODE_POOLS', `NODE_POOLS ${issue.path.join('.') || '(top)'}: ${issue.message}`)
  }
  const names = parsed.data.map((region) => region.region)
  const twice = names.find((name, i) => names.indexOf(name) !== i)
  if (twice) misconfigured('NODE_POOLS', 'NODE_POOLS names a region twice', twice)
  return parsed.data.map((region) => ({
    name: region.region,
    place: { lat: region.lat, lon: region.lon },
    urls: region.urls,
  }))
}

/** The regions and their nodes; a SettingError names the first problem. */
export function poolRegions(nodes: NodeAddresses): PoolRegion[] {
  const listed = nodes.urls.split(/[\s,]+/).filter(Boolean)
  const regions = declaredRegions(nodes) ?? [{ name: 'default', place: null, urls: listed }]
  const variable = poolsDeclared(nodes) ? 'NODE_POOLS' : 'NODE_URLS / NODE_URL'
  const urls = regions.flatMap((region) => region.urls)
  if (urls.length === 0) misconfigured(variable, 'no node URL is set')
  // A node is one node: listed twice (in one region or two), its breaker and share would be
  // counted twice. NODE_URLS, which has always dropped repeats, still does.
  const twice = urls.find((url, i) => urls.indexOf(url) !== i)
  if (twice && poolsDeclared(nodes)) misconfigured(variable, 'a node URL is listed twice', twice)
  const allowInsecure = nodes.allowInsecure
  const bad = urls.find((url) => urlProblem(url, allowInsecure) !== null)
  if (bad) misconfigured(variable, urlProblem(bad, allowInsecure)!, bad)
  return regions.map((region) => ({ ...region, urls: [...new Set(region.urls)] }))
}
