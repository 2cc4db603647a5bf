/**
 * `npm run keys -- <command>`: the operator's CLI for tenants and API keys,
 * a client of the edge's admin API. Works against `npm start` (the default
 * URL) and against a deployed worker (`--url`); the admin secret comes from
 * EMBED_ADMIN_SECRET, never from a flag, so it stays out of shell history.
 */
import { parseArgs } from 'node:util'
import type {
  CreatedKey,
  KeyList,
  KeyView,
  TenantList,
  TenantView,
  UsageView,
} from '../../edge/admin/api-types.ts'
import { CliError, adminClient } from './admin-client.ts'
import { printCreatedKey, printKeys, printRevoked, printTenant, printUsage } from './print.ts'
import { TENANT_FLAGS, tenantFields } from './tenant-options.ts'

const DEFAULT_URL = 'http://127.0.0.1:8787'

const HELP = `Usage: npm run keys -- <command> [options]

Keys
  create <tenant> [--name <label>]   a new key; printed once, only its SHA-256 is stored
  list <tenant>                      the tenant's keys: id, prefix, created, revoked
  revoke <tenant> <key-id>           refuse the key from its next request on
  rotate <tenant> <key-id>           a new key (printed once); the old one revoked
  usage <tenant>                     requests, tokens, cache hits and misses, per key

Tenants
  tenant create <id> [tenant options]
  tenant update <id> [tenant options]   only the options given change
  tenant get <id>
  tenant list

Tenant options ('none' clears a value back to its default)
  --name <text>              display name
  --models <id,id,...>       models the tenant may use ('*': all)
  --max-dimensions <n>       the largest 'dimensions' it may ask for
  --rpm <n>, --tpm <n>       requests and tokens per minute
  --cache-scope tenant|shared
  --edge-cache on|off        off: the edge stores none of its vectors (only the nodes' memory)
  --cache-ttl <seconds>      how long its vectors stay cached (at least 60)
  --default-template <id>    template used when a request names none
  --templates <file.json>    its named templates: {"id": {"id", "query", "document"}}

Options
  --url <edge url>   default: $EMBED_URL or ${DEFAULT_URL} (npm start)
  --json             print the admin API's JSON answer
Environment
  EMBED_ADMIN_SECRET   the edge's admin secret (npm start prints it;
                       production: the value given to \`wrangler secret put ADMIN_SECRET\`)`

class UsageError extends Error {}

function parse() {
  try {
    return parseArgs({
      options: {
        url: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        ...TENANT_FLAGS,
      },
      allowPositionals: true,
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

function expectArgs(args: string[], names: string[]): string[] {
  if (args.length !== names.length) {
    throw new UsageError(
      `expected ${names.map((n) => `<${n}>`).join(' ') || 'no arguments'}, got ${args.length} argument(s)`,
    )
  }
  return args
}

async function main(): Promise<void> {
  const { values, positionals } = parse()
  if (values.help || positionals.length === 0) {
    console.log(HELP)
    return
  }
  const secret = process.env.EMBED_ADMIN_SECRET
  if (!secret) {
    throw new CliError(
      "set EMBED_ADMIN_SECRET to the edge's admin secret (`npm start` prints it; a deployed worker has the one you gave `wrangler secret put ADMIN_SECRET`)",
    )
  }
  const client = adminClient(values.url ?? process.env.EMBED_URL ?? DEFAULT_URL, secret)
  const path = (...segments: string[]) => segments.map(encodeURIComponent).join('/')
  const show = <T>(result: T, human: (r: T) => string) =>
    console.log(values.json ? JSON.stringify(result, null, 2) : human(result))

  const [command, ...args] = positionals
  const isTenantWrite = command === 'tenant' && (args[0] === 'create' || args[0] === 'update')
  const tenantFlagsGiven = Object.keys(TENANT_FLAGS).filter(
    (flag) => flag !== 'name' && values[flag as keyof typeof TENANT_FLAGS] !== undefined,
  )
  if (!isTenantWrite && tenantFlagsGiven.length > 0) {
    throw new UsageError(
      `--${tenantFlagsGiven[0]} applies to 'tenant create' and 'tenant update' only`,
    )
  }

  switch (command) {
    case 'create': {
      const [tenant] = expectArgs(args, ['tenant'])
      const body = values.name !== undefined ? { name: values.name } : {}
      show(
        await client.request<CreatedKey>('POST', `/tenants/${path(tenant)}/keys`, body),
        printCreatedKey,
      )
      return
    }
    case 'list': {
      const [tenant] = expectArgs(args, ['tenant'])
      const keys = await client.request<KeyList>('GET', `/tenants/${path(tenant)}/keys`)
      show(keys, (k) => printKeys(tenant, k.data))
      return
    }
    case 'revoke': {
      const [tenant, keyId] = expectArgs(args, ['tenant', 'key-id'])
      show(
        await client.request<KeyView>('POST', `/tenants/${path(tenant, 'keys', keyId, 'revoke')}`),
        printRevoked,
      )
      return
    }
    case 'rotate': {
      const [tenant, keyId] = expectArgs(args, ['tenant', 'key-id'])
      show(
        await client.request<CreatedKey>(
          'POST',
          `/tenants/${path(tenant, 'keys', keyId, 'rotate')}`,
        ),
        printCreatedKey,
      )
      return
    }
    case 'usage': {
      const [tenant] = expectArgs(args, ['tenant'])
      show(await client.request<UsageView>('GET', `/tenants/${path(tenant)}/usage`), printUsage)
      return
    }
    case 'tenant':
      return tenantCommand(args, values, client, show, path)
    default:
      throw new UsageError(`unknown command '${command}'`)
  }
}

async function tenantCommand(
  args: string[],
  values: ReturnType<typeof parse>['values'],
  client: ReturnType<typeof adminClient>,
  show: <T>(result: T, human: (r: T) => string) => void,
  path: (...segments: string[]) => string,
): Promise<void> {
  const [action, ...rest] = args
  switch (action) {
    case 'create': {
      const [id] = expectArgs(rest, ['id'])
      const tenant = await client.request<TenantView>('POST', '/tenants', {
        id,
        ...tenantFields(values),
      })
      show(tenant, (t) => `Created tenant ${t.id}.\n${printTenant(t)}`)
      return
    }
    case 'update': {
      const [id] = expectArgs(rest, ['id'])
      const fields = tenantFields(values)
      if (Object.keys(fields).length === 0)
        throw new UsageError('tenant update: give at least one tenant option')
      const tenant = await client.request<TenantView>('PATCH', `/tenants/${path(id)}`, fields)
      show(tenant, (t) => `Updated tenant ${t.id}.\n${printTenant(t)}`)
      return
    }
    case 'get': {
      const [id] = expectArgs(rest, ['id'])
      show(await client.request<TenantView>('GET', `/tenants/${path(id)}`), printTenant)
      return
    }
    case 'list': {
      expectArgs(rest, [])
      const list = await client.request<TenantList>('GET', '/tenants')
      show(list, (l) => (l.data.length ? l.data.join('\n') : 'No tenants.'))
      return
    }
    default:
      throw new UsageError(`unknown tenant action '${action ?? ''}' (create, update, get or list)`)
  }
}

try {
  await main()
} catch (err) {
  if (err instanceof UsageError) {
    console.error(`error: ${err.message}\nRun \`npm run keys -- --help\` for usage.`)
    process.exitCode = 2
  } else if (err instanceof CliError) {
    console.error(`error: ${err.message}`)
    process.exitCode = 1
  } else {
    throw err
  }
}
