/**
 * A tenant's `max_dimensions`: the vector size its requests get. Asking for
 * more is refused rather than silently cut, as asking for a model the tenant
 * may not use is; asking for nothing gets the cap (or the model's full size).
 */
import { ApiError } from '../../shared/errors.ts'
import type { Tenant } from './tenant.ts'

/** The dimensions to serve; throws 403 when `requested` is over the tenant's cap. */
export function dimensionsFor(
  tenant: Tenant,
  requested: number | undefined,
  modelDimensions: number,
): number {
  const cap = Math.min(tenant.max_dimensions ?? modelDimensions, modelDimensions)
  if (requested === undefined) return cap
  if (tenant.max_dimensions !== null && requested > tenant.max_dimensions) {
    throw new ApiError(
      403,
      `this key may ask for at most ${tenant.max_dimensions} dimensions, got ${requested}`,
      { param: 'dimensions', code: 'dimensions_not_allowed' },
    )
  }
  return requested
}
