/**
 * The leases this isolate holds (lease-policy.ts says what a lease is and what it gives up):
 * per tenant, how many more requests it may admit without asking the tenant's Durable Object,
 * how many tokens its requests may still reserve (token-reservation.ts), until when, and which
 * keys it must refuse meanwhile (known-revocations.ts). One book per isolate, shared by every
 * request it serves: `admissionLeases` in edge/isolate/isolate-memory.ts.
 */
import { LRUCache } from 'lru-cache'
import type { Limits } from '../tenants/tenant.ts'
import { KnownRevocations } from './known-revocations.ts'
import type { LeaseGrant } from './lease-policy.ts'
import type { RateLimitStatus } from './rate-window.ts'
import type { Admission, LeaseRequest, LeaseReturn } from './tenant-limiter.ts'
import type { ReservingLease, Settlement, TokenReservation } from './token-reservation.ts'

/** Tenants with a lease at once; a tenant pushed out simply asks its object again. */
const MAX_TENANTS = 10_000
/**
 * An ask for a lease that has not settled after this long is taken as lost (a cancelled
 * request never reaches its `finally`), so the tenant can ask again.
 */
const ASK_TIMEOUT_MS = 5_000

interface HeldLease extends ReservingLease {
  /** The limits it was granted under: a tenant whose limits changed asks again. */
  limits: Limits
  /** Null when the tenant has no request limit. */
  requestsLeft: number | null
  /** The object's answer at the grant: what was left besides this lease. */
  status: RateLimitStatus
  grantedAt: number
  /** The tenant's revoked keys, as known when it was granted and merged since. */
  revoked: ReadonlySet<string>
}

export type LocalAdmission =
  | { admitted: true; status: RateLimitStatus; leasedFrom: number }
  | { admitted: false; reason: 'revoked' }

export class AdmissionLeases {
  private readonly held = new LRUCache<string, HeldLease>({ max: MAX_TENANTS })
  /**
   * What leases that ended left unused, to give back with the tenant's next admission, or
   * when the lease's time is up (`expire`), whichever comes first.
   */
  private readonly leftovers = new Map<string, LeaseReturn>()
  /**
   * Tenants whose object is being asked for a lease right now. A burst of requests that all
   * find no lease asks for one lease, not one each: the others are admitted one by one, so
   * the isolate never holds leases it has to give back.
   */
  private readonly asking = new Map<string, { since: number; generation: number }>()
  /** Bumped by `forget`: a lease asked for before it must not be kept after it. */
  private readonly generations = new Map<string, number>()
  private readonly revocations = new KnownRevocations()

  /**
   * Refuses a key this isolate knows is revoked, admits a request on the tenant's lease, or
   * returns null when the lease cannot (none, run out, expired, or granted under other limits):
   * the object must decide.
   */
  admit(tenantId: string, limits: Limits, keyHash: string, now: number): LocalAdmission | null {
    // Revocations are final, so what an expired lease brought may still refuse.
    const lease = this.held.get(tenantId)
    if (lease?.revoked.has(keyHash) || this.revocations.has(tenantId, keyHash))
      return { admitted: false, reason: 'revoked' }
    if (!lease) return null
    const usable =
      now < lease.grant.expiresAt &&
      lease.limits.requests_per_minute === limits.requests_per_minute &&
      lease.limits.tokens_per_minute === limits.tokens_per_minute &&
      lease.requestsLeft !== 0 &&
      (lease.grant.tokens === null || lease.tokensSpent < lease.grant.tokens)
    if (!usable) {
      this.end(tenantId, lease)
      return null
    }
    if (lease.requestsLeft !== null) lease.requestsLeft -= 1
    return {
      admitted: true,
      status: this.statusOf(lease, now),
      leasedFrom: lease.grant.windowStartedAt,
    }
  }

  /**
   * What to send with an admission the object decides: a request for a lease, with leftovers
   * to give back; undefined while another request of the tenant is already asking.
   * Every call is followed by `settle`.
   */
  request(tenantId: string, now = Date.now()): LeaseRequest | undefined {
    const ask = this.asking.get(tenantId)
    if (ask && now - ask.since < ASK_TIMEOUT_MS) return undefined
    this.asking.set(tenantId, { since: now, generation: this.generationOf(tenantId) })
    return {
      giveBack: this.takeLeftovers(tenantId),
      revokedSince: this.revocations.version(tenantId),
    }
  }

  /**
   * The object has answered (`admission`), or could not be asked (null). Keeps the lease that
   * came with an admission. Leftovers sent with a failed call are not sent again: the object
   * may have taken them, and giving them back twice would let the window overrun its limit.
   */
  settle(
    tenantId: string,
    limits: Limits,
    request: LeaseRequest | undefined,
    admission: Admission | null,
    now: number,
  ): void {
    const ask = request ? this.asking.get(tenantId) : undefined
    if (request) this.asking.delete(tenantId)
    if (!admission?.admitted || !admission.lease) return
    const current = ask?.generation === this.generationOf(tenantId)
    const revoked = current ? this.revocations.merge(tenantId, admission.lease.revoked) : null
    const lease: HeldLease = {
      grant: admission.lease,
      limits,
      requestsLeft: admission.lease.requests,
      tokensSpent: 0,
      inFlight: new Set(),
      status: admission.status,
      grantedAt: now,
      revoked: revoked ?? new Set(),
    }
    // Forgotten while the object answered (a key revoked here meanwhile), or what this isolate
    // knows of revocations is not whole: the lease may not know of a revocation. It is not
    // used, and goes back whole.
    if (!revoked) return this.addLeftovers(tenantId, lease)
    const previous = this.held.get(tenantId)
    if (previous) this.end(tenantId, previous)
    this.held.set(tenantId, lease)
  }

  /**
   * Waits until `grant` ends, then ends it if it is still held and sends back what the
   * tenant's ended leases left unused, so an isolate that the tenant stops calling does not
   * keep a share of the window to itself. For the request that got the lease to hand to
   * `waitUntil`: one per lease, as long as the lease lives (LEASE_TTL_MS).
   */
  async expire(
    tenantId: string,
    grant: LeaseGrant,
    send: (leftovers: LeaseReturn) => Promise<void>,
  ): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, grant.expiresAt - Date.now())))
    const lease = this.held.get(tenantId)
    if (lease?.grant === grant) this.end(tenantId, lease)
    const leftovers = this.takeLeftovers(tenantId)
    if (leftovers) await send(leftovers)
  }

  /** The status to report for a request the object admitted: its lease counts as still free. */
  statusFor(
    tenantId: string,
    admission: { status: RateLimitStatus; lease?: LeaseGrant },
    now = Date.now(),
  ): RateLimitStatus {
    const lease = this.held.get(tenantId)
    return admission.lease && lease?.grant === admission.lease
      ? this.statusOf(lease, now)
      : admission.status
  }

  /** Counts tokens a request of the tenant reported, without a reservation, against its lease. */
  spend(tenantId: string, tokens: number): void {
    const lease = this.held.get(tenantId)
    if (lease) lease.tokensSpent += tokens
  }

  /**
   * Reserves `tokens` on the tenant's lease, or returns null when the lease cannot take them
   * (none, expired, granted under other limits, no token limit, or too little left of its share):
   * the object must.
   */
  reserve(tenantId: string, limits: Limits, tokens: number, now: number): TokenReservation | null {
    const lease = this.held.get(tenantId)
    if (
      !lease ||
      now >= lease.grant.expiresAt ||
      lease.limits.tokens_per_minute !== limits.tokens_per_minute ||
      lease.grant.tokens === null ||
      lease.tokensSpent + tokens > lease.grant.tokens
    )
      return null
    lease.tokensSpent += tokens
    const reservation: TokenReservation = { tokens, holder: { kind: 'lease', lease } }
    lease.inFlight.add(reservation)
    return reservation
  }

  /**
   * Ends the tenant's lease, if it holds one, and takes what its ended leases left unused: for a
   * reservation the lease could not take, to send with it, so the object decides on the whole
   * budget rather than on what is left besides this isolate's share.
   */
  yieldLease(tenantId: string): LeaseReturn | null {
    const lease = this.held.get(tenantId)
    if (lease) this.end(tenantId, lease)
    return this.takeLeftovers(tenantId)
  }

  /**
   * Settles a reservation once its request has been charged `charged` (chargeOf): on a lease
   * still held, the difference goes back to the lease at once; the object settles the rest with
   * the request's usage, in the window the reservation was charged to.
   */
  release(
    reservation: TokenReservation,
    charged: number,
  ): { windowStartedAt: number; settlement: Settlement } | null {
    const { holder, tokens } = reservation
    reservation.holder = { kind: 'none' } // settled once
    switch (holder.kind) {
      case 'none':
        return null
      case 'lease':
        holder.lease.tokensSpent += charged - tokens
        holder.lease.inFlight.delete(reservation)
        return {
          windowStartedAt: holder.lease.grant.windowStartedAt,
          settlement: { reserved: 0, leased: 0, charged },
        }
      case 'window':
        return {
          windowStartedAt: holder.windowStartedAt,
          settlement: {
            reserved: holder.field === 'tokens' ? tokens : 0,
            leased: holder.field === 'tokensLeased' ? tokens : 0,
            charged,
          },
        }
    }
  }

  /**
   * Drops the tenant's lease, any lease being asked for now, and the revocations its leases
   * brought: its key was revoked here, or its window was closed by hand. What it left unused
   * still goes back.
   */
  forget(tenantId: string): void {
    const lease = this.held.get(tenantId)
    if (lease) this.end(tenantId, lease)
    this.asking.delete(tenantId)
    this.generations.set(tenantId, this.generationOf(tenantId) + 1)
    this.revocations.forget(tenantId)
  }

  private generationOf(tenantId: string): number {
    return this.generations.get(tenantId) ?? 0
  }

  private end(tenantId: string, lease: HeldLease): void {
    this.held.delete(tenantId)
    this.addLeftovers(tenantId, lease)
  }

  /**
   * Adds a lease's unused requests, and its token share, to what goes back to its window: the
   * whole share (the tokens its ended requests were charged reach the object with their usage)
   * but for what its requests still running hold. Those reservations stay charged to the window,
   * as its leased tokens, until each request settles (`release`).
   */
  private addLeftovers(tenantId: string, lease: HeldLease): void {
    const { windowStartedAt } = lease.grant
    let held = 0
    for (const reservation of lease.inFlight) {
      held += reservation.tokens
      reservation.holder = { kind: 'window', windowStartedAt, field: 'tokensLeased' }
    }
    lease.inFlight.clear()
    const requests = lease.requestsLeft ?? 0
    const tokens = Math.max(0, (lease.grant.tokens ?? 0) - held)
    if (requests === 0 && tokens === 0) return
    const earlier = this.leftovers.get(tenantId)
    const same = earlier?.windowStartedAt === windowStartedAt
    this.leftovers.set(tenantId, {
      windowStartedAt,
      requests: requests + (same ? earlier.requests : 0),
      tokens: tokens + (same ? earlier.tokens : 0),
    })
  }

  private takeLeftovers(tenantId: string): LeaseReturn | null {
    const leftovers = this.leftovers.get(tenantId) ?? null
    this.leftovers.delete(tenantId)
    return leftovers
  }

  private statusOf(lease: HeldLease, now: number): RateLimitStatus {
    const { requests, tokens, resetMs } = lease.status
    return {
      requests: requests && {
        limit: requests.limit,
        remaining: requests.remaining + (lease.requestsLeft ?? 0),
      },
      // The object's remaining tokens exclude this lease's reservation, which is still free
      // but for what its requests spent.
      tokens: tokens && {
        limit: tokens.limit,
        remaining: Math.max(0, tokens.remaining + (lease.grant.tokens ?? 0) - lease.tokensSpent),
      },
      resetMs: Math.max(0, resetMs - (now - lease.grantedAt)),
    }
  }
}
