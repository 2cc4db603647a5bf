import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../shared/errors.ts'
import { callEdge, env } from '../test/support/edge-harness.ts'
import { edgeConfig, NUMERIC_SETTINGS, type EdgeVariables } from './config.ts'

const base = { NODE_URL: 'http://127.0.0.1:8081', NODE_SECRET: 'a-node-secret-for-config-tests' }
const names = Object.keys(NUMERIC_SETTINGS) as (keyof typeof NUMERIC_SETTINGS)[]

/** The error edgeConfig throws for `variables`, which must be a bad setting's. */
function refusal(variables: EdgeVariables): ApiError {
  try {
    edgeConfig(variables)
  } catch (err) {
    if (err instanceof ApiError) return err
    throw err
  }
  throw new Error(`accepted ${JSON.stringify(variables)}`)
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe("the edge's settings", () => {
  it("read wrangler.toml's own [vars] without a problem", () => {
    // This project's bindings are wrangler.toml's, with a NODE_SECRET: a typo there fails here.
    expect(edgeConfig(env).pool.regions[0].urls).toEqual([env.NODE_URL])
  })

  it('take the default when unset or empty, and any integer in range', () => {
    for (const name of names) {
      const { default: fallback, min } = NUMERIC_SETTINGS[name]
      expect(edgeConfig({ ...base })[name], name).toBe(fallback)
      expect(edgeConfig({ ...base, [name]: '' })[name], name).toBe(fallback)
      expect(edgeConfig({ ...base, [name]: String(min) })[name], name).toBe(min)
      // wrangler.toml may write a number unquoted.
      expect(edgeConfig({ ...base, [name]: min + 1 })[name], name).toBe(min + 1)
    }
  })

  it('refuse a value that is not an integer in range with a 503 naming the setting, never the default', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    for (const name of names) {
      const { min, max } = { max: undefined, ...NUMERIC_SETTINGS[name] }
      const bad = ['soon', '30s', '1.5', ' ', 'NaN', String(min - 1), ...(max ? [max + 1] : [])]
      for (const value of bad) {
        const error = refusal({ ...base, [name]: value })
        expect(error.status).toBe(503)
        expect(error.code).toBe('edge_misconfigured')
        expect(error.message).toContain(`${name} must be an integer`)
      }
    }
  })

  it('refuse a rate window given in seconds, which would lift every limit', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(refusal({ ...base, RATE_WINDOW_MS: '60' }).message).toContain(
      'RATE_WINDOW_MS must be an integer ≥ 1000',
    )
  })

  it('refuse a missing or short NODE_SECRET without showing it', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    for (const secret of [undefined, '', 'short-secret']) {
      const error = refusal({ ...base, NODE_SECRET: secret })
      expect(error.message).toContain('NODE_SECRET must be set')
      if (secret) expect(error.message).not.toContain(secret)
    }
  })

  it('take ALLOW_INSECURE_NODE_URLS as 0 or 1 only', () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const remote = { ...base, NODE_URL: 'http://192.0.2.1:8081' }
    expect(refusal(remote).message).toContain('ALLOW_INSECURE_NODE_URLS=1')
    expect(refusal({ ...remote, ALLOW_INSECURE_NODE_URLS: '0' }).code).toBe('edge_misconfigured')
    expect(edgeConfig({ ...remote, ALLOW_INSECURE_NODE_URLS: '1' }).pool.regions).toHaveLength(1)
    expect(refusal({ ...remote, ALLOW_INSECURE_NODE_URLS: 'true' }).message).toContain(
      'ALLOW_INSECURE_NODE_URLS must be 0 or 1',
    )
    // The client never sees a node's address; the log does.
    expect(refusal(remote).message).not.toContain('192.0.2.1')
    expect(logged.mock.calls.flat().join('\n')).toContain('192.0.2.1')
  })

  it('are read once per env object, and each problem is logged once per isolate', () => {
    const variables = { ...base }
    expect(edgeConfig(variables)).toBe(edgeConfig(variables))
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    for (let i = 0; i < 3; i++) refusal({ ...base, USAGE_FLUSH_MS: 'once' })
    expect(logged).toHaveBeenCalledTimes(1)
    expect(logged.mock.calls[0].join(' ')).toContain(
      "USAGE_FLUSH_MS must be an integer ≥ 0 (got 'once')",
    )
  })

  it('keep the public API up when only ADMIN_SECRET is unusable: the admin API is off instead', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(edgeConfig({ ...base }).admin).toHaveProperty('off')
    expect(edgeConfig({ ...base, ADMIN_SECRET: 'short' }).admin).toHaveProperty('off')
    const secret = 'an-admin-secret-long-enough'
    expect(edgeConfig({ ...base, ADMIN_SECRET: secret }).admin).toEqual({ secret })
  })

  it('stop every route, /health included, with the 503 naming the bad setting', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    for (const path of ['/health', '/v1/models', '/admin/tenants']) {
      const response = await callEdge(path, {}, { NODE_TIMEOUT_MS: '30s' })
      expect(response.status, path).toBe(503)
      const { error } = (await response.json()) as { error: { code: string; message: string } }
      expect(error.code).toBe('edge_misconfigured')
      expect(error.message).toContain('NODE_TIMEOUT_MS must be an integer ≥ 1')
    }
  })
})
