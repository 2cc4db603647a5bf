import { describe, expect, it } from 'vitest'
import { keepLeader, regionOrder } from './region-order.ts'
import { RoundTrip } from './round-trip.ts'
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

describe('the order of GPU regions', () => {
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
    expect(names(regionOrder(regions, SYDNEY))).toEqual(['ap-southeast', 'us-east', 'eu-central'])
    expect(names(regionOrder(regions, FRANKFURT))).toEqual([
      'eu-central',
      'us-east',
      'ap-southeast',
    ])
    expect(names(regionOrder(regions, { lat: 40.71, lon: -74.0 }))[0]).toBe('us-east')
  })

  it('keeps the configured order for a caller with no place, and puts unplaced regions last', () => {
    const regions = [europe, america, asia]
    expect(names(regionOrder(regions, null))).toEqual(['eu-central', 'us-east', 'ap-southeast'])
    const unplaced: PoolRegion = { name: 'default', place: null, urls: ['https://x.example'] }
    expect(names(regionOrder([unplaced, asia], SYDNEY))).toEqual(['ap-southeast', 'default'])
  })

  it('ranks a near region that measured slow behind a healthy one farther away', () => {
    const regions = [europe, america, asia]
    // From Sydney the floors are about 63 ms (Singapore), 157 (Virginia) and 165 (Frankfurt).
    const slowAsia = (region: PoolRegion) => (region === asia ? 400 : 1)
    expect(names(regionOrder(regions, SYDNEY, slowAsia))).toEqual([
      'us-east',
      'eu-central',
      'ap-southeast',
    ])
    // Measured faster than light allows (loopback, a wrong place): the distance still ranks.
    expect(names(regionOrder(regions, SYDNEY, () => 1))[0]).toBe('ap-southeast')
    // Slower than the distance explains, but still the least: it stays first.
    expect(names(regionOrder(regions, SYDNEY, (r) => (r === asia ? 120 : null)))[0]).toBe(
      'ap-southeast',
    )
    // A caller with no place: what was measured ranks, the unmeasured go last.
    expect(names(regionOrder(regions, null, (r) => (r === asia ? 30 : null)))).toEqual([
      'ap-southeast',
      'eu-central',
      'us-east',
    ])
  })

  it('estimates a round trip by the median of recent samples: one outlier moves nothing', () => {
    const roundTrip = new RoundTrip()
    const t = 1_000_000
    // Too few samples say nothing: a first call that set up a connection is not the node's speed.
    roundTrip.record(900, t)
    roundTrip.record(10, t)
    expect(roundTrip.estimateMs(t)).toBeNull()
    for (const ms of [12, 11, 10]) roundTrip.record(ms, t)
    expect(roundTrip.estimateMs(t)).toBe(11)
    // A node that stays slow moves the estimate once most recent samples show it.
    roundTrip.record(400, t)
    expect(roundTrip.estimateMs(t)).toBe(11)
    roundTrip.record(400, t)
    roundTrip.record(400, t)
    expect(roundTrip.estimateMs(t)).toBe(400)
    roundTrip.record(NaN, t)
    expect(roundTrip.estimateMs(t)).toBe(400)
    // Old samples age out: a node back after an outage is judged on what it does now.
    expect(roundTrip.estimateMs(t + 61_000)).toBeNull()
  })

  it('keeps the region that leads until another is clearly better', () => {
    const ms = new Map([
      [europe, 30],
      [america, 26],
      [asia, 300],
    ])
    const expected = (region: PoolRegion) => ms.get(region)!
    const byMeasure = [america, europe, asia]
    // 26 against 30: not clearly better, so Europe stays first.
    expect(names(keepLeader(byMeasure, europe, expected))).toEqual([
      'eu-central',
      'us-east',
      'ap-southeast',
    ])
    // 12 against 30: clearly better (by more than a fifth and by more than 10 ms).
    ms.set(america, 12)
    expect(names(keepLeader(byMeasure, europe, expected))[0]).toBe('us-east')
    // No leader yet, or the leader is first anyway: the order stands.
    expect(keepLeader(byMeasure, undefined, expected)).toBe(byMeasure)
  })

  it("reads the colo's place from request.cf, and nothing from a request without one", () => {
    const request = new Request('https://edge.test/', {
      cf: { latitude: '-33.86880', longitude: '151.20930' },
    })
    expect(callerPlace(request)).toEqual({ lat: -33.8688, lon: 151.2093 })
    expect(callerPlace(new Request('https://edge.test/'))).toBeNull()
    // No coordinates (Cloudflare could not place the client): its continent still says a side.
    const inOceania = new Request('https://edge.test/', { cf: { continent: 'OC' } })
    expect(names(regionOrder([europe, america, asia], callerPlace(inOceania)))[0]).toBe(
      'ap-southeast',
    )
    const nowhere = new Request('https://edge.test/', { cf: { continent: 'T1' } })
    expect(callerPlace(nowhere)).toBeNull()
    expect(placeOf('91', '0')).toBeNull()
    expect(placeOf('north', '0')).toBeNull()
    expect(placeOf(undefined, '0')).toBeNull()
    // A blank coordinate is none, not the equator or the meridian.
    expect(placeOf('10', '')).toBeNull()
    expect(placeOf(' ', '10')).toBeNull()
    expect(placeOf('0', '0')).toEqual({ lat: 0, lon: 0 })
  })
})
