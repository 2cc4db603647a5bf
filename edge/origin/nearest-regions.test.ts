import { describe, expect, it } from 'vitest'
import { nearestRegions } from './nearest-regions.ts'
import { callerPlace, greatCircleKm, placeOf } from './place.ts'
import type { PoolRegion } from './pool-config.ts'

const SYDNEY = { lat: -33.87, lon: 151.21 }
const FRANKFURT = { lat: 50.11, lon: 8.68 }
const region = (name: string, lat: number, lon: number): PoolRegion => ({
  name,
  place: { lat, lon },
  urls: [`https://${name}.example`],
})
const europe = region('eu-central', 50.11, 8.68)
const asia = region('ap-southeast', 1.35, 103.82)
const america = region('us-east', 39.04, -77.49)
const names = (regions: PoolRegion[]) => regions.map((r) => r.name)

describe('the nearest GPU region', () => {
  it('measures great-circle distance', () => {
    expect(greatCircleKm(SYDNEY, SYDNEY)).toBe(0)
    // Sydney to Singapore is about 6,300 km; to Frankfurt about 16,500 km.
    expect(greatCircleKm(SYDNEY, asia.place!)).toBeGreaterThan(6_000)
    expect(greatCircleKm(SYDNEY, asia.place!)).toBeLessThan(6_600)
    expect(greatCircleKm(SYDNEY, FRANKFURT)).toBeGreaterThan(16_000)
    expect(greatCircleKm(SYDNEY, FRANKFURT)).toBeLessThan(17_000)
  })

  it('orders regions nearest first from where the caller is', () => {
    const regions = [europe, america, asia]
    // From Sydney: Singapore about 6,300 km, Virginia about 15,700, Frankfurt about 16,500.
    expect(names(nearestRegions(regions, SYDNEY))).toEqual([
      'ap-southeast',
      'us-east',
      'eu-central',
    ])
    expect(names(nearestRegions(regions, FRANKFURT))).toEqual([
      'eu-central',
      'us-east',
      'ap-southeast',
    ])
    expect(names(nearestRegions(regions, { lat: 40.71, lon: -74.0 }))[0]).toBe('us-east')
  })

  it('keeps the configured order for a caller with no place, and puts unplaced regions last', () => {
    const regions = [europe, america, asia]
    expect(names(nearestRegions(regions, null))).toEqual(['eu-central', 'us-east', 'ap-southeast'])
    const unplaced: PoolRegion = { name: 'default', place: null, urls: ['https://x.example'] }
    expect(names(nearestRegions([unplaced, asia], SYDNEY))).toEqual(['ap-southeast', 'default'])
  })

  it("reads the colo's place from request.cf, and nothing from a request without one", () => {
    const request = new Request('https://edge.test/', {
      cf: { latitude: '-33.86880', longitude: '151.20930' },
    } as RequestInit)
    expect(callerPlace(request)).toEqual({ lat: -33.8688, lon: 151.2093 })
    expect(callerPlace(new Request('https://edge.test/'))).toBeNull()
    expect(placeOf('91', '0')).toBeNull()
    expect(placeOf('north', '0')).toBeNull()
    expect(placeOf(undefined, '0')).toBeNull()
    // A blank coordinate is none, not the equator or the meridian.
    expect(placeOf('10', '')).toBeNull()
    expect(placeOf(' ', '10')).toBeNull()
    expect(placeOf('0', '0')).toEqual({ lat: 0, lon: 0 })
  })
})
