/**
 * One Durable Object per tenant: the single place, worldwide, that sees every
 * request of that tenant. It admits or refuses each request against the
 * tenant's rate window, counts usage per tenant and per key, and holds the
 * tenant's revoked keys, so that a revocation takes effect on the next
 * request everywhere instead of after KV has propagated (see tenant-store.ts).
 *
 * Besides admitting one request, the object can lease a share of the
 * window to the asking isolate (lease-policy.ts), which then admits the
 * tenant's next requests itself and reports each one through `record`. A
 * request that no lease has tokens for reserves them here (`reserve`,
 * token-reservation.ts).
 *
 * The window closes by an alarm at its end, and, should the alarm be late, by
 * the clock on the next request. An alarm that runs before the end (a retry of
 * an earlier window's alarm, one run by hand) leaves the window as it is.
 */
import { DurableObject } from 'cloudflare:workers'
import { edgeConfig } from '../config.ts'
import type { Env } from '../env.ts'
import type { Limits } from '../tenants/tenant.ts'
import {
  exhausted,
  hasTokensFor,
  statusOf,
  windowAt,
  windowEnd,
  type RateLimitStatus,
  type RateWindow,
} from './rate-window.ts'
import { leaseSize, type LeaseGrant } from './lease-policy.ts'
import { RevokedKeys } from './revoked-keys.ts'
import type { UsageBatch } from './usage-batch.ts'
import { addUsage, emptyCounters, type UsageCounters, type UsageReport } from './usage-counters.ts'

/** How often counters are written to durable storage (see `save`). */
const FLUSH_INTERVAL_MS = 1_000

export type Admission =
  | { admitted: true; status: RateLimitStatus; lease?: LeaseGrant }
  | { admitted: false; reason: 'requests' | 'tokens'; status: RateLimitStatus }
  | { admitted: false; reason: 'revoked' }

/** The answer to `reserve`; the status counts the reservation when it was made. */
export type WindowReservation =
  | { reserved: true; windowStartedAt: number; status: RateLimitStatus }
  | { reserved: false; status: RateLimitStatus }

/** What ended leases of an isolate give back to the window they were charged to. */
export interface LeaseReturn {
  windowStartedAt: number
  /** Requests left unused. */
  requests: number
  /**
   * The leases' token shares (their ended requests' tokens come in records), but for what
   * requests still running hold: that stays leased until they settle (token-reservation.ts).
   */
  tokens: number
}

/** What an isolate asks for along with an admission. */
export interface LeaseRequest {
  giveBack: LeaseReturn | null
  /** The version of the tenant's revocations the isolate has: the lease brings those after. */
  revokedSince: number
}

interface UsageBook {
  since: string | null
  totals: UsageCounters
  keys: Record<string, UsageCounters>
}

export class TenantLimiter extends DurableObject<Env> {
  private window: RateWindow | null = null
  private revoked!: RevokedKeys
  private usage: UsageBook = { since: null, totals: emptyCounters(), keys: {} }
  private flushTimer: ReturnType<typeof setTimeout> | null = null
  /** Read once: every window of the object's life is as long. */
  private readonly windowMs: number

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.windowMs = edgeConfig(env).RATE_WINDOW_MS
    void ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.get<unknown>(['window', 'usage'])
      this.window = (stored.get('window') as RateWindow | undefined) ?? null
      this.usage = (stored.get('usage') as UsageBook | undefined) ?? this.usage
      this.revoked = await RevokedKeys.load(ctx.storage)
    })
  }

  /**
   * Admits one request of `key` (counting it) or says why not. With `lease`, an admitted
   * request also brings back a share of the window for the isolate to admit on its own;
   * `usage` is what the isolate gathered and had not sent yet (usage-batch.ts).
   */
  async admit(
    key: { id: string; hash: string },
    limits: Limits,
    lease?: LeaseRequest,
    usage?: UsageBatch | null,
  ): Promise<Admission> {
    // What the isolate's finished requests used, so the decision counts their tokens.
    if (usage) await this.record(usage)
    if (this.revoked.has(key.hash)) return { admitted: false, reason: 'revoked' }
    const now = Date.now()
    const window = this.windowAt(now)
    if (lease?.giveBack) this.takeBack(window, lease.giveBack)
    const refused = exhausted(window, limits)
    if (refused)
      return { admitted: false, reason: refused, status: this.statusOf(window, limits, now) }
    window.requests += 1
    this.countRequests(key.id, now, 1)
    const size = lease ? leaseSize(window, limits) : null
    if (size?.requests) window.leased = (window.leased ?? 0) + size.requests
    if (size?.tokens) window.tokensLeased = (window.tokensLeased ?? 0) + size.tokens
    this.save()
    const status = this.statusOf(window, limits, now)
    if (!lease || !size) return { admitted: true, status }
    return {
      admitted: true,
      status,
      lease: {
        ...size,
        expiresAt: Math.min(now + edgeConfig(this.env).LEASE_TTL_MS, this.endOf(window)),
        windowStartedAt: window.startedAt,
        // `?? 0`: an isolate still running the version before revocations were numbered.
        revoked: this.revoked.since(lease.revokedSince ?? 0),
      },
    }
  }

  /**
   * Charges `tokens`, an upper bound of one admitted request's tokens, to the window before the
   * request does any work, if its token budget has room for all of them. The isolate sends
   * along what its leases left unused and the usage it gathered, so the decision sees both.
   * The request's usage settles the charge (`record`).
   */
  async reserve(
    tokens: number,
    limits: Limits,
    sentAlong: { giveBack: LeaseReturn | null; usage: UsageBatch | null },
  ): Promise<WindowReservation> {
    if (sentAlong.usage) await this.record(sentAlong.usage)
    const now = Date.now()
    const window = this.windowAt(now)
    if (sentAlong.giveBack) this.takeBack(window, sentAlong.giveBack)
    if (!hasTokensFor(window, limits, tokens))
      return { reserved: false, status: this.statusOf(window, limits, now) }
    window.tokens += tokens
    this.save()
    return {
      reserved: true,
      windowStartedAt: window.startedAt,
      status: this.statusOf(window, limits, now),
    }
  }

  /**
   * Adds what admitted requests consumed, once their routes know it: tokens to usage and to the
   * window, and the requests isolates admitted on leases (lease-policy.ts), which are counted
   * only now. A leased request's share of its lease is used up if the lease's window is still
   * the one in force. Requests that reserved tokens are settled in the window they reserved in:
   * if it is still in force, what reserving put in it is taken out (their charge is in their
   * usage); if it has closed, that window held their charge, and the window in force takes none.
   */
  async record(batch: UsageBatch): Promise<void> {
    const now = Date.now()
    const window = this.windowAt(now)
    let tokens = 0
    for (const [keyId, { usage, leasedRequests }] of Object.entries(batch.keys)) {
      tokens += usage.tokens
      addUsage(this.usage.totals, usage)
      addUsage(this.countersOf(keyId), usage)
      this.countRequests(keyId, now, leasedRequests)
    }
    // `?? {}`: a batch from an isolate still running the version before reservations.
    for (const [startedAt, settled] of Object.entries(batch.settledFrom ?? {})) {
      if (Number(startedAt) !== window.startedAt) {
        tokens -= settled.charged
        continue
      }
      tokens -= settled.reserved
      window.tokensLeased = Math.max(0, (window.tokensLeased ?? 0) - settled.leased)
    }
    window.tokens = Math.max(0, window.tokens + tokens)
    for (const [startedAt, requests] of Object.entries(batch.leasedFrom)) {
      if (Number(startedAt) !== window.startedAt) continue
      window.leased = Math.max(0, (window.leased ?? 0) - requests)
      window.requests += requests
    }
    this.save()
  }

  /** What an isolate's ended leases left unused, sent when their time is up. */
  async giveBack(leftovers: LeaseReturn): Promise<void> {
    this.takeBack(this.windowAt(Date.now()), leftovers)
    this.save()
  }

  /** Only to the window the leases were charged to: a later window never owed them. */
  private takeBack(window: RateWindow, leftovers: LeaseReturn): void {
    if (leftovers.windowStartedAt !== window.startedAt) return
    window.leased = Math.max(0, (window.leased ?? 0) - leftovers.requests)
    window.tokensLeased = Math.max(0, (window.tokensLeased ?? 0) - leftovers.tokens)
  }

  private countRequests(keyId: string, now: number, count: number): void {
    if (count === 0) return
    this.usage.since ??= new Date(now).toISOString()
    this.usage.totals.requests += count
    this.countersOf(keyId).requests += count
  }

  /** Refuses the key from now on. Idempotent: the first revocation time stays. */
  async revokeKey(keyHash: string, at: string): Promise<void> {
    await this.revoked.revoke(this.ctx.storage, keyHash, at)
  }

  async usageReport(): Promise<UsageReport> {
    const open = this.window !== null && Date.now() < this.endOf(this.window)
    return {
      ...this.usage,
      window: open
        ? {
            started_at: new Date(this.window!.startedAt).toISOString(),
            requests: this.window!.requests,
            leased: this.window!.leased ?? 0,
            tokens: this.window!.tokens,
            tokens_leased: this.window!.tokensLeased ?? 0,
          }
        : null,
    }
  }

  /**
   * The window's end: both budgets are whole again. Only a window that has ended is cleared: an
   * alarm can run before the end of the window in force (an earlier window's alarm retried or
   * delivered late, after the clock had opened this one; an alarm run by hand), and clearing
   * would hand the tenant a second budget within the minute. The window's own alarm is set again.
   */
  override async alarm(): Promise<void> {
    const window = this.window
    if (window !== null && Date.now() < this.endOf(window)) {
      await this.ctx.storage.setAlarm(this.endOf(window))
      return
    }
    this.window = null
    await this.ctx.storage.delete('window')
  }

  private windowAt(now: number): RateWindow {
    const window = windowAt(this.window, now, this.windowMs)
    if (window !== this.window) {
      this.window = window
      // Not awaited: the output gate holds this call's reply until the alarm is stored.
      void this.ctx.storage.setAlarm(this.endOf(window))
    }
    return window
  }

  private endOf(window: RateWindow): number {
    return windowEnd(window, this.windowMs)
  }

  private statusOf(window: RateWindow, limits: Limits, now: number): RateLimitStatus {
    return statusOf(window, limits, now, this.windowMs)
  }

  private countersOf(keyId: string): UsageCounters {
    return (this.usage.keys[keyId] ??= emptyCounters())
  }

  /**
   * Writes the counters now. Called by the flush timer, and by tests that look
   * at what a restarted object would find.
   */
  async flush(): Promise<void> {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer)
    this.flushTimer = null
    await this.ctx.storage.put({ window: this.window, usage: this.usage })
  }

  /**
   * Counters reach durable storage at most once per FLUSH_INTERVAL_MS, not on
   * every request: a storage commit per request cost about 6 ms of latency
   * each under `wrangler dev` (a cached request went from 3 to 11 ms at p50).
   * The counts themselves are exact in memory, where every request of the
   * tenant is counted; only a crash or redeploy of this object can lose the
   * last interval's counts. Revocations, which must never be lost, are
   * written and confirmed at once (revokeKey).
   */
  private save(): void {
    this.flushTimer ??= setTimeout(
      () => this.flush().catch((err: unknown) => console.error('usage counters not saved:', err)),
      FLUSH_INTERVAL_MS,
    )
  }
}

/** The limiter of one tenant; the same object wherever in the world it is asked for. */
export function limiterFor(env: Env, tenantId: string): DurableObjectStub<TenantLimiter> {
  return env.TENANT_LIMITER.get(env.TENANT_LIMITER.idFromName(tenantId))
}
