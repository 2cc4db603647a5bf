/**
 * The inference nodes one edge isolate knows: what each serves (its /info),
 * whether it may take traffic (its circuit breaker, and any Retry-After it
 * gave), and in which order a key should try them (rendezvous hashing).
 *
 * Workers have no background timers, so health is checked on the way through:
 * a request that finds the last check older than the interval starts one in
 * `waitUntil` (every node's /ready, and /info where it is stale), and a node
 * whose breaker cool-down has passed is probed before traffic goes back to it.
 * State is per isolate and bounded: one entry per configured node, and at most
 * MAX_POOLS configurations (`nodePools` in edge/isolate/isolate-memory.ts).
 */
import type { ModelInfo } from '../../shared/node-protocol.ts'
import { edgeConfig } from '../config.ts'
import type { Env } from '../env.ts'
import { isolateMemory } from '../isolate/isolate-memory.ts'
import { CircuitBreaker } from './circuit-breaker.ts'
import { fetchNodeInfo, nodeReadiness, type Readiness } from './node-client.ts'
import { expectedRoundTripMs, keepLeader, regionOrder } from './region-order.ts'
import { RoundTrip } from './round-trip.ts'
import type { Place } from './place.ts'
import type { PoolConfig, PoolRegion } from './pool-config.ts'
import { hash32, rendezvousOrder } from './rendezvous.ts'

/** /info is re-read this often; between reads the pool routes on what it last saw. */
const INFO_FRESH_MS = 30_000
const PROBE_TIMEOUT_MS = 2_000
/** An overloaded node that named no Retry-After rests this long; a long one is capped. */
const DEFAULT_REST_MS = 1_000
const MAX_REST_MS = 30_000
/** Pools differ only when the configuration does (tests, or a redeploy with other vars). */
const MAX_POOLS = 8
/** The least MAX_BATCH_TOKENS the edge splits calls by, whatever a node says. */
const MIN_BATCH_TOKENS = 1024

export interface PoolNode {
  url: string
  /** The GPU region it is in (pool-config.ts): misses try the caller's nearest region first. */
  region: PoolRegion
  /** Its name in Server-Timing and /admin/pool: the region's name and its place in the list. */
  id: string
  /** Its identity for rendezvous hashing. */
  seed: number
  breaker: CircuitBreaker
  /** The models it serves, from its last good /info; null until one was read. */
  models: ModelInfo[] | null
  /** Its MAX_BATCH_TOKENS from /info; null until read (or a node too old to say). */
  maxBatchTokens: number | null
  infoReadAt: number
  /** It answered 429/503: no traffic before this time. */
  restUntil: number
  /** The probe in progress, shared by every request waiting on it. */
  probe: Promise<boolean> | null
  /** Its round trip from this isolate, from calls and /ready probes (region-order.ts ranks by it). */
  roundTrip: RoundTrip
  /** Inputs this isolate sent it, for its share of traffic in /admin/pool. */
  inputsSent: number
}

export class NodePool {
  readonly nodes: PoolNode[]
  /** A new pool reads every node's /info first thing; the /ready checks can wait an interval. */
  private lastHealthCheck = Date.now()
  private healthCheck: Promise<void> | null = null
  private infoRefreshedAt = 0
  private infoRefresh: Promise<void> | null = null
  /** The region misses went to first, per group of callers (regionsFor); one per region at most. */
  private readonly leaders = new Map<string, PoolRegion>()

  constructor(readonly config: PoolConfig) {
    this.nodes = config.regions.flatMap((region) =>
      region.urls.map((url, index) => ({
        url,
        region,
        id: `${region.name}-${index + 1}`,
        seed: hash32(url),
        breaker: new CircuitBreaker(config.breakerFailures, config.breakerCooldownMs),
        models: null,
        maxBatchTokens: null,
        infoReadAt: 0,
        restUntil: 0,
        probe: null,
        roundTrip: new RoundTrip(),
        inputsSent: 0,
      })),
    )
  }

  /** Probes get no more time than a request's node calls. */
  private get probeTimeoutMs(): number {
    return Math.min(PROBE_TIMEOUT_MS, this.config.timeoutMs)
  }

  /** Every model some node serves: the first listed node's record wins when revisions differ. */
  models(): ModelInfo[] {
    const byId = new Map<string, ModelInfo>()
    for (const node of this.nodes)
      for (const model of node.models ?? []) if (!byId.has(model.id)) byId.set(model.id, model)
    return [...byId.values()]
  }

  /** True when /info was last read more than the refresh interval ago (or never). */
  infoIsStale(now = Date.now()): boolean {
    return now - this.infoRefreshedAt >= INFO_FRESH_MS
  }

  /** Reads /info of every node not known to be down; one refresh at a time. */
  refreshInfo(): Promise<void> {
    this.infoRefresh ??= (async () => {
      const now = Date.now()
      this.infoRefreshedAt = now
      await Promise.all(
        this.nodes
          .filter((node) => node.breaker.state(now) !== 'open')
          .map((node) => this.readInfo(node)),
      )
    })().finally(() => (this.infoRefresh = null))
    return this.infoRefresh
  }

  /** The refresh of /info under way, if any: a lookup with no catalog yet must wait for it. */
  infoRefreshUnderWay(): Promise<void> | null {
    return this.infoRefresh
  }

  /** The next catalog lookup reads /info again. */
  markInfoStale(): void {
    this.infoRefreshedAt = 0
  }

  private async readInfo(node: PoolNode): Promise<boolean> {
    try {
      const info = await fetchNodeInfo(node.url, this.config.secret, this.probeTimeoutMs)
      node.models = info.models
      // Clamped: a tiny value (a misconfigured node) would split every input into its own call.
      node.maxBatchTokens =
        info.max_batch_tokens === undefined
          ? null
          : Math.max(MIN_BATCH_TOKENS, info.max_batch_tokens)
      node.infoReadAt = Date.now()
      return true
    } catch {
      node.breaker.recordFailure(Date.now())
      return false
    }
  }

  private serving(modelId: string): PoolNode[] {
    return this.nodes.filter((node) => node.models?.some((m) => m.id === modelId))
  }

  /** Breaker closed and not resting after a 429/503. */
  takesTraffic(node: PoolNode, now = Date.now()): boolean {
    return node.breaker.state(now) === 'closed' && node.restUntil <= now
  }

  /**
   * A region's round trip as measured from this isolate: the mean of its nodes' estimates,
   * over those that may take traffic (a node that is down says nothing of the others); null
   * when none has been measured.
   */
  measuredRoundTripMs(region: PoolRegion, now = Date.now()): number | null {
    const estimates = this.nodes
      .filter((node) => node.region === region && this.takesTraffic(node, now))
      .map((node) => node.roundTrip.estimateMs(now))
      .filter((ms) => ms !== null)
    return estimates.length === 0 ? null : estimates.reduce((a, b) => a + b, 0) / estimates.length
  }

  /**
   * The regions in the order a miss from `from` tries them (region-order.ts): by expected round
   * trip, except that the region first for callers near the same region last time stays first
   * until another is clearly better (keepLeader).
   */
  regionsFor(from: Place | null, now = Date.now()): PoolRegion[] {
    const measured = (region: PoolRegion) => this.measuredRoundTripMs(region, now)
    const order = regionOrder(this.config.regions, from, measured)
    if (order.length < 2) return order
    // Callers are grouped by the region nearest them by distance: one leader per region at most.
    const group = regionOrder(this.config.regions, from)[0].name
    const kept = keepLeader(order, this.leaders.get(group), (region) =>
      expectedRoundTripMs(region, from, measured(region)),
    )
    this.leaders.set(group, kept[0])
    return kept
  }

  /**
   * Nodes that may take traffic for `modelId` now, best first for `key`: region by region in
   * `regions`' order (regionsFor), and in each region those whose /info lists the model, then
   * those never heard from (they may serve it; a single-node deployment relies on that when
   * /info was not yet read), each in the key's rendezvous order.
   */
  candidates(
    modelId: string,
    key: string,
    now = Date.now(),
    regions: PoolRegion[] = this.config.regions,
  ): PoolNode[] {
    const serving = new Set(this.serving(modelId))
    const ordered: PoolNode[] = []
    for (const region of regions) {
      const inRegion = this.nodes.filter((node) => node.region === region)
      ordered.push(
        ...rendezvousOrder(
          inRegion.filter((node) => serving.has(node)),
          key,
        ),
        ...rendezvousOrder(
          inRegion.filter((node) => node.models === null),
          key,
        ),
      )
    }
    return ordered.filter((node) => this.takesTraffic(node, now))
  }

  /** True when at least one node serving `modelId` may take traffic now. */
  canServe(modelId: string, now = Date.now()): boolean {
    return this.nodes.some(
      (node) =>
        (node.models === null || node.models.some((m) => m.id === modelId)) &&
        this.takesTraffic(node, now),
    )
  }

  /**
   * Probes (/ready, then /info) every node whose breaker cool-down has passed.
   * Waits for them when `modelId` has no usable node, since they are the only
   * hope for this request; otherwise they finish after the response.
   */
  async probeRecovering(modelId: string, waitUntil: (p: Promise<unknown>) => void): Promise<void> {
    const now = Date.now()
    const probes: Promise<boolean>[] = []
    for (const node of this.nodes) {
      if (node.probe) probes.push(node.probe)
      else if (node.breaker.startProbe(now)) probes.push(this.startProbe(node))
    }
    if (probes.length === 0) return
    if (this.canServe(modelId, now)) waitUntil(Promise.all(probes))
    else await Promise.all(probes)
  }

  private startProbe(node: PoolNode): Promise<boolean> {
    const probe = (async () => {
      const ready = (await this.readiness(node)) === 'ready' && (await this.readInfo(node))
      if (ready) node.breaker.recordSuccess()
      else node.breaker.recordFailure(Date.now())
      return ready
    })().finally(() => (node.probe = null))
    node.probe = probe
    return probe
  }

  /**
   * Called by every request that sends the pool work (embedOnPool), all in the background: a
   * probe of each node whose breaker cool-down has passed (so a node that comes back is used
   * again as soon as it answers), and once per interval every healthy node's /ready (and stale
   * /info).
   */
  maintain(waitUntil: (p: Promise<unknown>) => void): void {
    const now = Date.now()
    for (const node of this.nodes)
      if (node.breaker.startProbe(now)) waitUntil(this.startProbe(node))
    if (this.healthCheck || now - this.lastHealthCheck < this.config.healthIntervalMs) return
    this.lastHealthCheck = now
    this.healthCheck = Promise.all(
      this.nodes.map(async (node) => {
        if (node.breaker.state(now) !== 'closed') return
        const readiness = await this.readiness(node)
        if (readiness !== 'ready') {
          // Its own word that it cannot serve (loading, draining), or no answer: stop routing to
          // it. Calls already on their way reopen it by succeeding only after a silence.
          node.breaker.open(Date.now(), { saidNotReady: readiness === 'not-ready' })
        } else if (Date.now() - node.infoReadAt >= INFO_FRESH_MS) await this.readInfo(node)
      }),
    )
      .then(() => undefined)
      .finally(() => (this.healthCheck = null))
    waitUntil(this.healthCheck)
  }

  /** The node's /ready; the time a ready answer took is a round-trip sample. */
  private async readiness(node: PoolNode): Promise<Readiness> {
    const started = performance.now()
    const readiness = await nodeReadiness(node.url, this.probeTimeoutMs)
    if (readiness === 'ready') node.roundTrip.record(performance.now() - started)
    return readiness
  }

  /**
   * A call to `node` carried `inputs` and was answered: `networkMs` is its round trip less the
   * node's own compute.
   */
  recordSuccess(
    node: PoolNode,
    call: { sentAt: number; inputs: number; networkMs: number | null },
  ): void {
    node.breaker.recordSuccess(call.sentAt)
    node.inputsSent += call.inputs
    if (call.networkMs !== null) node.roundTrip.record(call.networkMs)
  }

  /**
   * A call that ran out of time may have been large work on a healthy node, not the node's
   * fault: it counts against the breaker only if the node's /ready does not answer either.
   */
  judgeTimeout(node: PoolNode): Promise<void> {
    return nodeReadiness(node.url, this.probeTimeoutMs).then((readiness) => {
      if (readiness !== 'ready') this.recordFailure(node)
    })
  }

  recordFailure(node: PoolNode): void {
    node.breaker.recordFailure(Date.now())
  }

  /** The node said it is full: rest it for its Retry-After (bounded), without counting a failure. */
  rest(node: PoolNode, retryAfterSeconds: number | undefined): void {
    const restMs =
      retryAfterSeconds === undefined
        ? DEFAULT_REST_MS
        : Math.min(retryAfterSeconds * 1000, MAX_REST_MS)
    node.restUntil = Date.now() + restMs
  }

  /** True when some node serving `modelId` is resting after a 429/503. */
  isResting(modelId: string, now = Date.now()): boolean {
    return this.serving(modelId).some((node) => node.restUntil > now)
  }

  /** The earliest a resting node for `modelId` takes traffic again, in whole seconds (at least 1). */
  secondsUntilRested(modelId: string, now = Date.now()): number {
    const resting = this.serving(modelId).filter((node) => node.restUntil > now)
    const soonest = Math.min(...resting.map((node) => node.restUntil))
    return resting.length === 0 ? 1 : Math.max(1, Math.ceil((soonest - now) / 1000))
  }

  /** The node answered 404 for the model: route it elsewhere until its /info says otherwise. */
  forgetModel(node: PoolNode, modelId: string): void {
    node.models = node.models?.filter((model) => model.id !== modelId) ?? []
    node.infoReadAt = 0
    this.markInfoStale()
  }
}

/** This isolate's pool for the worker's configuration. */
export function nodePool(env: Env): NodePool {
  const pools = isolateMemory.nodePools
  const { pool: config, poolKey: key } = edgeConfig(env)
  let pool = pools.get(key)
  if (!pool) {
    if (pools.size >= MAX_POOLS) pools.delete(pools.keys().next().value!)
    pool = new NodePool(config)
    pools.set(key, pool)
  }
  return pool
}

/** Every pool's /info is read again at the next lookup (e.g. a node reported a new revision). */
export function markPoolsStale(): void {
  for (const pool of isolateMemory.nodePools.values()) pool.markInfoStale()
}
