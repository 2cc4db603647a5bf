import { describe, expect, it } from 'vitest'
import { ApiError } from './errors.ts'
import { BUILT_IN_TEMPLATES, chooseTemplate, renderTemplate } from './templates.ts'

describe('renderTemplate', () => {
  it('gives Qwen3 queries the official instruction form and leaves documents as they are', () => {
    const qwen3 = BUILT_IN_TEMPLATES.qwen3
    expect(
      renderTemplate(qwen3, {
        text: 'capital of France?',
        inputType: 'query',
        instruction: 'Find the answer',
      }),
    ).toBe('Instruct: Find the answer\nQuery:capital of France?')
    expect(
      renderTemplate(qwen3, {
        text: 'Paris is the capital.',
        inputType: 'document',
        instruction: 'x',
      }),
    ).toBe('Paris is the capital.')
  })

  it('uses the default instruction for a query that names none', () => {
    expect(renderTemplate(BUILT_IN_TEMPLATES.qwen3, { text: 'q', inputType: 'query' })).toBe(
      'Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:q',
    )
  })

  it('fills the Represent template from the input type and use case', () => {
    const represent = BUILT_IN_TEMPLATES.represent
    expect(renderTemplate(represent, { text: 'a b', inputType: 'document' })).toBe(
      'Represent the document for retrieval: a b',
    )
    expect(
      renderTemplate(represent, {
        text: 'def f(): ...',
        inputType: 'query',
        taskType: 'code',
        useCase: 'clustering',
      }),
    ).toBe('Represent the code for clustering: def f(): ...')
  })

  it('never expands placeholders that appear inside user text', () => {
    expect(
      renderTemplate(BUILT_IN_TEMPLATES.qwen3, {
        text: '{instruction} {text}',
        inputType: 'query',
        instruction: 'I',
      }),
    ).toBe('Instruct: I\nQuery:{instruction} {text}')
  })

  it('refuses a query for a template that needs an instruction and has no default', () => {
    const custom = { id: 'c', query: '{instruction}: {text}', document: '{text}' }
    expect(() => renderTemplate(custom, { text: 'q', inputType: 'query' })).toThrow(ApiError)
  })
})

describe('chooseTemplate', () => {
  const tenantTemplates = {
    qwen3: { id: 'qwen3', query: 'mine {text}', document: '{text}' },
    legal: { id: 'legal', query: 'L {text}', document: 'D {text}' },
  }

  it('prefers the requested template, with tenant templates shadowing built-ins', () => {
    expect(chooseTemplate({ requested: 'legal', tenantTemplates, modelDefault: 'none' }).id).toBe(
      'legal',
    )
    expect(
      chooseTemplate({ requested: 'qwen3', tenantTemplates, modelDefault: 'none' }).query,
    ).toBe('mine {text}')
    expect(chooseTemplate({ requested: 'represent', modelDefault: 'none' }).id).toBe('represent')
  })

  it('falls back to the tenant default, then the model default', () => {
    expect(
      chooseTemplate({ tenantTemplates, tenantDefault: 'legal', modelDefault: 'qwen3' }).id,
    ).toBe('legal')
    expect(chooseTemplate({ modelDefault: 'qwen3' }).id).toBe('qwen3')
    expect(chooseTemplate({ modelDefault: 'none' }).id).toBe('none')
  })

  it('rejects an unknown template with a 400 naming the field', () => {
    try {
      chooseTemplate({ requested: 'nope', modelDefault: 'none' })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError)
      expect((err as ApiError).status).toBe(400)
      expect((err as ApiError).param).toBe('template')
    }
  })
})

describe('chooseTemplate with the request fields', () => {
  const qwen3Model = { modelDefault: 'qwen3' }
  const plainModel = { modelDefault: 'none' }
  const query = { inputType: 'query' as const }
  const document = { inputType: 'document' as const }

  it('applies represent when task_type or use_case come without a template', () => {
    expect(chooseTemplate({ ...qwen3Model, fields: { ...query, taskType: 'code' } }).id).toBe(
      'represent',
    )
    expect(
      chooseTemplate({ ...plainModel, fields: { ...document, useCase: 'clustering' } }).id,
    ).toBe('represent')
  })

  it('applies prefix to an instruction the default template has no place for, queries and documents alike', () => {
    for (const fields of [
      { ...query, instruction: 'I' },
      { ...document, instruction: 'I' },
    ]) {
      const template = chooseTemplate({ ...plainModel, fields })
      expect(template.id).toBe('prefix')
      expect(renderTemplate(template, { text: 'How are you today?', ...fields })).toBe(
        'I How are you today?',
      )
    }
  })

  it('keeps Qwen3 documents bare, and its 400 says which template to use instead', () => {
    const refuse = () =>
      chooseTemplate({ ...qwen3Model, fields: { ...document, instruction: 'I' } })
    expect(refuse).toThrow(/embeds documents as they are .*'prefix'/)
    expect(
      chooseTemplate({
        ...qwen3Model,
        requested: 'prefix',
        fields: { ...document, instruction: 'I' },
      }).id,
    ).toBe('prefix')
  })

  it('refuses any field the chosen template has no place for, naming it', () => {
    const param = (choice: Parameters<typeof chooseTemplate>[0]) => {
      try {
        chooseTemplate(choice)
      } catch (err) {
        return (err as ApiError).param
      }
      return null
    }
    expect(
      param({ ...plainModel, requested: 'none', fields: { ...query, instruction: 'I' } }),
    ).toBe('instruction')
    expect(
      param({ ...plainModel, requested: 'qwen3', fields: { ...query, taskType: 'code' } }),
    ).toBe('task_type')
    expect(
      param({ ...plainModel, requested: 'represent', fields: { ...query, instruction: 'I' } }),
    ).toBe('instruction')
    expect(param({ ...qwen3Model, fields: { ...query, instruction: 'I' } })).toBeNull()
  })

  it('lets a tenant template place an instruction on documents', () => {
    const tenantTemplates = {
      docs: {
        id: 'docs',
        query: '{instruction} {text}',
        document: 'passage for {instruction}: {text}',
      },
    }
    const template = chooseTemplate({
      ...qwen3Model,
      tenantTemplates,
      requested: 'docs',
      fields: { ...document, instruction: 'law' },
    })
    expect(renderTemplate(template, { text: 't', inputType: 'document', instruction: 'law' })).toBe(
      'passage for law: t',
    )
  })
})

describe('chooseTemplate with a tenant default', () => {
  it("keeps the tenant's default when it places task_type itself", () => {
    const tenantTemplates = {
      mine: { id: 'mine', query: 'Task {task_type}: {text}', document: '{text}' },
    }
    const choice = { tenantTemplates, tenantDefault: 'mine', modelDefault: 'qwen3' }
    expect(chooseTemplate({ ...choice, fields: { inputType: 'query', taskType: 'code' } }).id).toBe(
      'mine',
    )
    // use_case has no place in it: represent, where it belongs.
    expect(
      chooseTemplate({ ...choice, fields: { inputType: 'query', useCase: 'clustering' } }).id,
    ).toBe('represent')
  })
})

describe('chooseTemplate with hostile ids', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    "refuses '%s' as an unknown template (400), not as Object's property",
    (id) => {
      const choose = () =>
        chooseTemplate({ requested: id, tenantTemplates: {}, modelDefault: 'none' })
      expect(choose).toThrow(ApiError)
      expect(choose).toThrow(`unknown template '${id}'`)
    },
  )

  it("falls back to the model's template when a tenant default names no own template", () => {
    expect(chooseTemplate({ tenantDefault: 'constructor', modelDefault: 'qwen3' }).id).toBe('qwen3')
  })
})
