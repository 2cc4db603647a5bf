/**
 * One request's charge against its tenant's token budget (tokens per minute), from before the
 * request does any work until it has ended. The route reserves an upper bound of the request's
 * tokens (edge/embeddings/token-bounds.ts) once it has checked the request and before any cache
 * lookup or node call; the limits middleware settles it after the route (`chargeOf`).
 *
 * Where the charge is held meanwhile (the holder):
 * - on the isolate's lease, out of the share the window already counts as spent (lease-policy.ts);
 *   if the lease ends first, the charge stays behind in the window's leased tokens;
 * - in the window itself, charged there by the tenant's object when no lease had room;
 * - nowhere, for a tenant without a token budget: then only its usage counts the charge.
 * A charge that is never settled (the isolate died, or the client went away and the request's
 * code stopped) stays in its window until the window closes: charging is the default, and only
 * settling gives anything back. Its usage counters never see it.
 */
import type { RequestUsage } from '../env.ts'
import type { LeaseGrant } from './lease-policy.ts'

/** What of a lease a reservation on it changes. */
export interface ReservingLease {
  readonly grant: LeaseGrant
  /** Tokens reserved on the lease by requests since the grant, settled to what each was charged. */
  tokensSpent: number
  /** Reservations of requests still running, which outlive the lease if it ends first. */
  inFlight: Set<TokenReservation>
}

export type ChargeHolder =
  | { kind: 'lease'; lease: ReservingLease }
  /** `field`: the window's own tokens, or its leased tokens (a lease that ended left it there). */
  | { kind: 'window'; windowStartedAt: number; field: 'tokens' | 'tokensLeased' }
  | { kind: 'none' }

export interface TokenReservation {
  /** The estimate charged: an upper bound of the request's tokens. */
  readonly tokens: number
  holder: ChargeHolder
}

/**
 * How the object settles reservations charged to one window (usage-batch.ts). `charged` is also
 * in the batch's usage, which the window in force adds; the rest undoes what reserving put in.
 */
export interface Settlement {
  /** Tokens the window holds for these requests in its own tokens. */
  reserved: number
  /** ...and in its leased tokens. */
  leased: number
  /** What they are charged in the end. */
  charged: number
}

/**
 * What a request that reserved tokens is charged once it has ended:
 * - its real tokens, once the route has counted them (`usage`), whatever happens after;
 * - else the whole reservation. The route failed after reserving: a 5xx or a timeout (the nodes
 *   may have computed every input, or still be computing them), or a node's 4xx verdict on an
 *   input (400/413/422: too long, an unknown token id), given after the node tokenized it.
 * The edge's own refusals (a malformed body, an unknown or forbidden model, too many tokens)
 * come before the route reserves anything, and cost nothing.
 */
export function chargeOf(reservation: TokenReservation, usage: RequestUsage | undefined): number {
  return usage?.tokens ?? reservation.tokens
}
