/**
 * The keys CLI as an operator runs it (`npm run keys -- ...`) against the
 * service `npm start` runs, with the admin secret npm start was given; the
 * keys it makes are then used with the official `openai` client.
 */
import { spawn } from 'node:child_process'
import OpenAI from 'openai'
import { describe, expect, inject, it } from 'vitest'
import type { KeyList, TenantView, UsageView } from '../../edge/admin/api-types.ts'
import { REPO_ROOT } from '../../gpu-node/config.ts'

const MODEL = 'use-lite-en'
const edgeUrl = inject('edgeUrl')
const adminSecret = inject('adminSecret')
const TENANT = 'e2e-cli'

interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

function keysCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'keys', '--', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, EMBED_ADMIN_SECRET: adminSecret, EMBED_URL: edgeUrl, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

async function ok(args: string[]): Promise<string> {
  const result = await keysCli(args)
  expect(result.code, `keys ${args.join(' ')}:\n${result.stdout}\n${result.stderr}`).toBe(0)
  return result.stdout
}

const json = async <T>(args: string[]) => JSON.parse(await ok([...args, '--json'])) as T

const rawKeyIn = (output: string) => output.match(/sk-emb-[0-9a-f]{48}/)![0]

const clientFor = (apiKey: string) =>
  new OpenAI({ apiKey, baseURL: `${edgeUrl}/v1`, maxRetries: 0 })

const embed = (apiKey: string, input: string) =>
  clientFor(apiKey)
    .embeddings.create({ model: MODEL, input, encoding_format: 'float' })
    .withResponse()

describe('npm start and the admin secret', () => {
  it('prints the admin secret and a keys command to use it with', () => {
    expect(inject('startOutput')).toContain(`Admin secret: ${adminSecret}`)
  })

  it('lists the seeded development key under the dev tenant', async () => {
    const keys = await json<KeyList>(['list', 'dev'])
    expect(keys.data.map((k) => k.prefix)).toContain(inject('devKey').slice(0, 12))
  })
})

describe('npm run keys', () => {
  let firstKey = ''
  let firstKeyId = ''

  it('creates a tenant with limits and reads it back', async () => {
    const created = await ok([
      'tenant',
      'create',
      TENANT,
      '--name',
      'CLI Corp',
      '--rpm',
      '50',
      '--tpm',
      '100000',
      '--models',
      MODEL,
    ])
    expect(created).toContain(`Created tenant ${TENANT}`)
    const tenant = await json<TenantView>(['tenant', 'get', TENANT])
    expect(tenant).toMatchObject({
      name: 'CLI Corp',
      allowed_models: [MODEL],
      limits: { requests_per_minute: 50, tokens_per_minute: 100000 },
    })
  })

  it('creates a key, shown once, that the openai client can use; limits show in the headers', async () => {
    const output = await ok(['create', TENANT, '--name', 'app'])
    expect(output).toMatch(/only time it is shown/)
    firstKey = rawKeyIn(output)
    firstKeyId = output.match(/Created key (key_[0-9a-f]+)/)![1]
    const { data, response } = await embed(firstKey, 'e2e cli: first key')
    expect(data.data[0].embedding).toHaveLength(512)
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('50')
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('100000')
    const listed = await ok(['list', TENANT])
    expect(listed).toContain(firstKeyId)
    expect(listed).toContain(firstKey.slice(0, 12))
    expect(listed).not.toContain(firstKey)
  })

  it('rotates: the old key gets 401, the new one works, both are listed', async () => {
    const output = await ok(['rotate', TENANT, firstKeyId])
    const newKey = rawKeyIn(output)
    expect(newKey).not.toBe(firstKey)
    await expect(embed(firstKey, 'e2e cli: old key')).rejects.toMatchObject({ status: 401 })
    expect((await embed(newKey, 'e2e cli: new key')).response.status).toBe(200)
    const keys = (await json<KeyList>(['list', TENANT])).data
    expect(keys).toHaveLength(2)
    // Found, and revoked: `undefined?.revoked_at` is not null either.
    const old = keys.find((k) => k.id === firstKeyId)
    expect(old, `key ${firstKeyId} in ${JSON.stringify(keys)}`).toBeDefined()
    expect(old!.revoked_at).toEqual(expect.any(String))
    expect(Date.parse(old!.revoked_at!)).not.toBeNaN()
    const fresh = keys.find((k) => k.id !== firstKeyId)!
    expect(fresh).toMatchObject({ prefix: newKey.slice(0, 12), revoked_at: null, name: 'app' })

    const revoked = await ok(['revoke', TENANT, fresh.id])
    expect(revoked).toContain(`Revoked ${fresh.id}`)
    await expect(embed(newKey, 'e2e cli: revoked')).rejects.toMatchObject({ status: 401 })
  })

  it('reports usage per key', async () => {
    const usage = await json<UsageView>(['usage', TENANT])
    expect(usage.totals.requests).toBe(2)
    expect(usage.totals.cache_misses).toBe(2)
    expect(usage.keys.find((k) => k.id === firstKeyId)).toMatchObject({
      requests: 1,
      cache_misses: 1,
    })
    const table = await ok(['usage', TENANT])
    expect(table).toMatch(/REQUESTS\s+TOKENS\s+CACHE HITS\s+CACHE MISSES/)
    expect(table).toContain(firstKeyId)
  })

  it('updates a limit, and the edge enforces it with a 429 the openai client recognises', async () => {
    const tenant = `${TENANT}-limited`
    await ok(['tenant', 'create', tenant, '--rpm', '100'])
    const updated = await ok(['tenant', 'update', tenant, '--rpm', '1'])
    expect(updated).toContain(`Updated tenant ${tenant}`)
    const key = rawKeyIn(await ok(['create', tenant]))
    expect((await embed(key, 'e2e cli: limited once')).response.status).toBe(200)
    const error = await embed(key, 'e2e cli: limited twice').catch((err) => err)
    expect(error).toBeInstanceOf(OpenAI.RateLimitError)
    expect(Number(error.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  })
})

describe('npm run keys refusals', () => {
  it('says so, and exits non-zero, for a wrong or missing admin secret', async () => {
    const wrong = await keysCli(['list', TENANT], { EMBED_ADMIN_SECRET: 'not-the-admin-secret' })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('Wrong admin secret')
    const missing = await keysCli(['list', TENANT], { EMBED_ADMIN_SECRET: '' })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('EMBED_ADMIN_SECRET')
  })

  it('names the problem for an unknown tenant, a bad option, and an unreachable edge', async () => {
    const unknown = await keysCli(['list', 'nobody-here'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("no tenant 'nobody-here'")
    const badOption = await keysCli(['tenant', 'update', TENANT, '--rpm', 'lots'])
    expect(badOption.code).toBe(1)
    expect(badOption.stderr).toContain('--rpm')
    const unreachable = await keysCli(['list', TENANT, '--url', 'http://127.0.0.1:9'])
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toContain('cannot reach http://127.0.0.1:9')
  })
})
