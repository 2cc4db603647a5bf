import { describe, expect, it } from 'vitest'
import { inputSchema, parseEmbeddingsRequest, parseInput } from './embeddings-request.ts'
import { ApiError } from '../../shared/errors.ts'

function rejection(body: unknown): ApiError {
  try {
    parseEmbeddingsRequest(body)
  } catch (err) {
    if (err instanceof ApiError) return err
    throw err
  }
  throw new Error(`accepted: ${JSON.stringify(body)}`)
}

describe('parseEmbeddingsRequest', () => {
  it('normalizes the four OpenAI input shapes', () => {
    expect(parseEmbeddingsRequest({ model: 'm', input: 'hi' }).input).toEqual({
      kind: 'text',
      items: ['hi'],
    })
    expect(parseEmbeddingsRequest({ model: 'm', input: ['a', 'b'] }).input).toEqual({
      kind: 'text',
      items: ['a', 'b'],
    })
    expect(parseEmbeddingsRequest({ model: 'm', input: [1, 2] }).input).toEqual({
      kind: 'ids',
      items: [[1, 2]],
    })
    expect(parseEmbeddingsRequest({ model: 'm', input: [[1], [2, 3]] }).input).toEqual({
      kind: 'ids',
      items: [[1], [2, 3]],
    })
  })

  it('applies OpenAI defaults', () => {
    const request = parseEmbeddingsRequest({ model: 'm', input: 'x' })
    expect(request.encoding_format).toBe('float')
    expect(request.truncate).toBe(true)
    expect(request.dimensions).toBeUndefined()
  })

  it('turns lone surrogates into U+FFFD so hashing and tokenizing agree', () => {
    expect(parseEmbeddingsRequest({ model: 'm', input: 'a\uD800b' }).input.items).toEqual([
      'a\uFFFDb',
    ])
  })

  it.each([
    [{ model: 'm' }, 'input', /required/],
    [{ model: 'm', input: null }, 'input', /required/],
    [{ model: 'm', input: '' }, 'input', /empty/],
    [{ model: 'm', input: [] }, 'input', /empty/],
    [{ model: 'm', input: ['ok', ''] }, 'input[1]', /empty/],
    [{ model: 'm', input: Array(2049).fill('x') }, 'input', /2048/],
    [{ model: 'm', input: ['a', 1] }, 'input', /mix/],
    [{ model: 'm', input: [1, -1] }, 'input', /token id/],
    [{ model: 'm', input: [[1], []] }, 'input[1]', /empty token list/],
    [{ model: 'm', input: { text: 'x' } }, 'input', /string/],
    [{ input: 'x' }, 'model', /required/],
    [{ model: 'm', input: 'x', dimensions: 31 }, 'dimensions', /at least 32/],
    [{ model: 'm', input: 'x', dimensions: 64.5 }, 'dimensions', /integer/],
    [{ model: 'm', input: 'x', dimensions: '64' }, 'dimensions', /integer/],
    [{ model: 'm', input: 'x', encoding_format: 'int8' }, 'encoding_format', /float/],
    [{ model: 'm', input: 'x', input_type: 'passage' }, 'input_type', /query/],
    [{ model: 'm', input: [1, 2], instruction: 'i' }, 'instruction', /token-id/],
    [{ model: 'm', input: [1, 2], task_type: 'code' }, 'task_type', /token-id/],
    [{ model: 'm', input: 'x', dimension: 64 }, 'dimension', /Unrecognized/],
  ])('rejects %j with a 400 on %s', (body, param, message) => {
    const error = rejection(body)
    expect(error.status).toBe(400)
    expect(error.param).toBe(param)
    expect(error.message).toMatch(message)
    expect(error.toBody().error.type).toBe('invalid_request_error')
    // One item of a list at fault: its position is a field too, not only text in `param`.
    const item = /^input\[(\d+)\]$/.exec(param)
    expect(error.toBody().error.input_index).toBe(item ? Number(item[1]) : undefined)
  })

  it('rejects a body that is not an object', () => {
    expect(rejection([1, 2]).status).toBe(400)
    expect(rejection('text').status).toBe(400)
  })
})

describe('the input schema GET /openapi.json shows', () => {
  const inputs: unknown[] = [
    'text',
    '',
    ['a', 'b'],
    ['a', ''],
    [],
    [1, 2, 3],
    [1, -2],
    [1.5],
    [2 ** 31],
    [[1, 2], [3]],
    [[1], []],
    [[1], ['a']],
    ['a', 1],
    Array.from({ length: 2049 }, () => 'x'),
    Array.from({ length: 2048 }, () => 'x'),
    { text: 'a' },
    null,
    7,
  ]
  it.each(inputs.map((input) => [JSON.stringify(input).slice(0, 40), input]))(
    'accepts %s exactly when the parser does',
    (_, input) => {
      let parsed = true
      try {
        parseInput(input)
      } catch {
        parsed = false
      }
      expect(inputSchema.safeParse(input).success).toBe(parsed)
    },
  )
})
