/**
 * The CLI's tenant flags and the admin API fields they become. Only flags
 * given are sent, so `tenant update` changes just those; `none` clears a
 * field back to its default (no limit, no cap, no default template).
 */
import { readFileSync } from 'node:fs'
import { CliError } from './admin-client.ts'

export const TENANT_FLAGS = {
  name: { type: 'string' },
  models: { type: 'string' },
  'max-dimensions': { type: 'string' },
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  'cache-scope': { type: 'string' },
  'edge-cache': { type: 'string' },
  'cache-ttl': { type: 'string' },
  'default-template': { type: 'string' },
  templates: { type: 'string' },
} as const

export type TenantFlagValues = { [flag in keyof typeof TENANT_FLAGS]?: string }

const NONE = new Set(['none', 'unlimited'])

function integerOrNone(flag: string, value: string): number | null {
  if (NONE.has(value)) return null
  if (!/^\d+$/.test(value))
    throw new CliError(`--${flag} takes a whole number or 'none', not '${value}'`)
  return Number(value)
}

/** 'none' clears it back to its default, on. */
function onOrOff(flag: string, value: string): boolean {
  if (value === 'on' || value === 'off' || NONE.has(value)) return value !== 'off'
  throw new CliError(`--${flag} takes 'on' or 'off', not '${value}'`)
}

function readTemplates(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new CliError(`--templates ${file}: ${(err as Error).message}`)
  }
}

/** The admin API body for the flags given (nothing for flags left out). */
export function tenantFields(values: TenantFlagValues): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  const limits: Record<string, number | null> = {}
  if (values.name !== undefined) body.name = values.name
  if (values.models !== undefined)
    body.allowed_models = values.models
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean)
  if (values['max-dimensions'] !== undefined)
    body.max_dimensions = integerOrNone('max-dimensions', values['max-dimensions'])
  if (values.rpm !== undefined) limits.requests_per_minute = integerOrNone('rpm', values.rpm)
  if (values.tpm !== undefined) limits.tokens_per_minute = integerOrNone('tpm', values.tpm)
  if (Object.keys(limits).length > 0) body.limits = limits
  if (values['cache-scope'] !== undefined) body.cache_scope = values['cache-scope']
  if (values['edge-cache'] !== undefined)
    body.edge_cache = onOrOff('edge-cache', values['edge-cache'])
  if (values['cache-ttl'] !== undefined) {
    const ttl = integerOrNone('cache-ttl', values['cache-ttl'])
    if (ttl === null) throw new CliError('--cache-ttl takes a number of seconds')
    body.cache_ttl_seconds = ttl
  }
  if (values['default-template'] !== undefined)
    body.default_template = NONE.has(values['default-template']) ? null : values['default-template']
  if (values.templates !== undefined) body.templates = readTemplates(values.templates)
  return body
}
