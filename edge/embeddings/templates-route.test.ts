/**
 * Templates applied by the route (POST /v1/embeddings), seen where they end:
 * the final text a real node receives (its gate records every input). A
 * tenant's default template and its own named templates, and `represent`,
 * chosen by the docs/api.md's rules (shared/templates.ts holds them; this checks
 * the route hands them the tenant and the request's fields).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Env } from '../env.ts'
import { DEFAULT_MODEL, postEmbeddings, seedTenant } from '../../test/support/edge-harness.ts'
import { nodeStats, resetNodeStats, startNode } from '../../test/support/node-control.ts'
import { poolOverrides } from '../../test/support/pool-overrides.ts'

const node = 'templates-route'
const house = { id: 'templates-house', key: 'sk-test-templates-house-0001' }
const plain = { id: 'templates-plain', key: 'sk-test-templates-plain-0001' }
let pool: Partial<Env>

beforeAll(async () => {
  pool = poolOverrides([await startNode(node)])
  await seedTenant(
    {
      id: house.id,
      default_template: 'house',
      templates: {
        house: { id: 'house', query: 'search_query: {text}', document: 'search_document: {text}' },
        legal: {
          id: 'legal',
          query: 'Legal question ({instruction}): {text}',
          document: 'Statute: {text}',
          default_instruction: 'find the governing statute',
        },
        // Shadows the built-in of the same name, for this tenant only.
        prefix: {
          id: 'prefix',
          query: '[{instruction}] {text}',
          document: '[{instruction}] {text}',
        },
      },
    },
    house.key,
  )
  await seedTenant({ id: plain.id }, plain.key)
})

/** The text the node received for `text`, sent with `fields` by the tenant `who`. */
async function finalText(
  who: { key: string },
  fields: Record<string, unknown>,
  label: string,
): Promise<string> {
  // Fresh text: nothing is cached, so the node sees it; one a kind, to find it among the inputs.
  const text = `templates route: ${label} ${crypto.randomUUID()}`
  await resetNodeStats(node)
  const response = await postEmbeddings(
    { model: DEFAULT_MODEL, input: text, ...fields },
    { key: who.key, overrides: pool },
  )
  expect(response.status, await response.clone().text()).toBe(200)
  const received = (await nodeStats(node)).inputs.filter((input) => input.includes(text))
  expect(received).toHaveLength(1)
  return received[0].replace(text, '{text}')
}

describe('templates through the route', () => {
  it("applies the tenant's default template when the request names none", async () => {
    expect(await finalText(house, {}, 'default document')).toBe('text:search_document: {text}')
    expect(await finalText(house, { input_type: 'query' }, 'default query')).toBe(
      'text:search_query: {text}',
    )
  })

  it("leaves text as it is for a tenant with no default (the model's own: none)", async () => {
    expect(await finalText(plain, {}, 'plain')).toBe('text:{text}')
    expect(await finalText(plain, { input_type: 'query' }, 'plain query')).toBe('text:{text}')
  })

  it("applies the tenant's own template by name, with its default instruction", async () => {
    expect(await finalText(house, { template: 'legal' }, 'legal document')).toBe(
      'text:Statute: {text}',
    )
    expect(await finalText(house, { template: 'legal', input_type: 'query' }, 'legal q')).toBe(
      'text:Legal question (find the governing statute): {text}',
    )
    const instruction = 'name the court'
    expect(await finalText(house, { template: 'legal', instruction }, 'legal instructed')).toBe(
      'text:Legal question (name the court): {text}',
    )
  })

  it('uses a tenant template in place of the built-in of the same name, for that tenant only', async () => {
    const fields = { template: 'prefix', instruction: 'Find it' }
    expect(await finalText(house, fields, 'shadowed')).toBe('text:[Find it] {text}')
    expect(await finalText(plain, fields, 'built in')).toBe('text:Find it {text}')
  })

  it('applies represent when the request names it, or gives task_type or use_case', async () => {
    expect(await finalText(plain, { template: 'represent' }, 'represent named')).toBe(
      'text:Represent the document for retrieval: {text}',
    )
    expect(
      await finalText(plain, { template: 'represent', input_type: 'query' }, 'represent q'),
    ).toBe('text:Represent the query for retrieval: {text}')
    // Over the tenant's default, which has no place for either field.
    const fields = { task_type: 'code', use_case: 'clustering' }
    expect(await finalText(house, fields, 'represent fields')).toBe(
      'text:Represent the code for clustering: {text}',
    )
    expect(await finalText(house, { use_case: 'classification' }, 'represent use case')).toBe(
      'text:Represent the document for classification: {text}',
    )
  })

  it("puts an instruction before the text (prefix) when the tenant's default has no place for it", async () => {
    expect(await finalText(plain, { instruction: 'Translate this' }, 'prefixed')).toBe(
      'text:Translate this {text}',
    )
  })
})
