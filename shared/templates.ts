/**
 * Instruction templates: how a request's text becomes the text the model
 * embeds. Applied once, at the edge; the node only ever sees final text.
 *
 * A template has one form for queries and one for documents, with the
 * placeholders `{text}`, `{instruction}`, `{task_type}` and `{use_case}`.
 * Qwen3-Embedding wants `Instruct: {instruction}\nQuery:{text}` for queries
 * and documents as they are. `prefix` is the plain "instruction, then text"
 * form many instruction-aware models take, for queries and documents alike.
 *
 * A request field the chosen template has no place for is a 400 naming the
 * field, never a silent no-op.
 */
import { ApiError } from './errors.ts'

export type InputType = 'query' | 'document'

export interface InstructionTemplate {
  id: string
  query: string
  document: string
  /** Used for queries when the request names no instruction. */
  default_instruction?: string
}

export const BUILT_IN_TEMPLATES: Readonly<Record<string, InstructionTemplate>> = {
  none: { id: 'none', query: '{text}', document: '{text}' },
  qwen3: {
    id: 'qwen3',
    query: 'Instruct: {instruction}\nQuery:{text}',
    document: '{text}',
    default_instruction:
      'Given a web search query, retrieve relevant passages that answer the query',
  },
  represent: {
    id: 'represent',
    query: 'Represent the {task_type} for {use_case}: {text}',
    document: 'Represent the {task_type} for {use_case}: {text}',
  },
  prefix: { id: 'prefix', query: '{instruction} {text}', document: '{instruction} {text}' },
}

export interface TemplateValues {
  text: string
  inputType: InputType
  instruction?: string
  /** For `{task_type}`; defaults to the input type (`query` or `document`). */
  taskType?: string
  /** For `{use_case}`; defaults to `retrieval`. */
  useCase?: string
}

const PLACEHOLDER = /\{(text|instruction|task_type|use_case)\}/g

/**
 * Fills a template's form for the input type. One pass over the template, so
 * braces inside the user's text or instruction are never expanded.
 *
 * @example renderTemplate(BUILT_IN_TEMPLATES.qwen3, { text: 'capital of France', inputType: 'query', instruction: 'Find the answer' })
 * // 'Instruct: Find the answer\nQuery:capital of France'
 */
export function renderTemplate(template: InstructionTemplate, values: TemplateValues): string {
  const form = values.inputType === 'query' ? template.query : template.document
  const instruction = values.instruction ?? template.default_instruction
  return form.replace(PLACEHOLDER, (_, name: string) => {
    switch (name) {
      case 'text':
        return values.text
      case 'instruction':
        if (instruction === undefined) {
          throw new ApiError(
            400,
            `template '${template.id}' needs an instruction for ${values.inputType === 'query' ? 'queries' : 'documents'}`,
            { param: 'instruction', code: 'missing_instruction' },
          )
        }
        return instruction
      case 'task_type':
        return values.taskType ?? values.inputType
      default:
        return values.useCase ?? 'retrieval'
    }
  })
}

/** A tenant-defined template is usable only if both forms embed the text. */
export function isValidTemplate(template: InstructionTemplate): boolean {
  return template.query.includes('{text}') && template.document.includes('{text}')
}

export interface TemplateChoice {
  /** The template the request names, if any. */
  requested?: string
  /** The template fields the request gives, for a template to place (or refuse). */
  fields?: TemplateFields
  /** The tenant's own named templates. */
  tenantTemplates?: Record<string, InstructionTemplate>
  /** The tenant's default template id. */
  tenantDefault?: string
  /** The model's natural template: `qwen3` for Qwen3-Embedding, `none` otherwise. */
  modelDefault: string
}

/** The request fields a template may place, with the input type they apply to. */
export interface TemplateFields {
  inputType: InputType
  instruction?: string
  taskType?: string
  useCase?: string
}

/**
 * Picks the template for a request: the one it names (tenant templates shadow
 * built-ins), else the tenant's default, else the model's own. With no
 * template named, fields the default template has no place for choose one
 * that places them: `task_type` or `use_case` pick `represent`, the template
 * they belong to, and an instruction picks `prefix`. Then every given field must have a place in the chosen template's
 * form for the input type, or the request gets a 400 naming it.
 */
export function chooseTemplate(choice: TemplateChoice): InstructionTemplate {
  // Own properties only: `constructor` or `__proto__` is an unknown template, not Object's.
  const own = (table: Readonly<Record<string, InstructionTemplate>> | undefined, id: string) =>
    table && Object.hasOwn(table, id) ? table[id] : undefined
  const find = (id: string) => own(choice.tenantTemplates, id) ?? own(BUILT_IN_TEMPLATES, id)
  const fields = choice.fields
  let template: InstructionTemplate
  if (choice.requested !== undefined) {
    const requested = find(choice.requested)
    if (!requested) {
      throw new ApiError(400, `unknown template '${choice.requested}'`, {
        param: 'template',
        code: 'unknown_template',
      })
    }
    template = requested
  } else {
    template =
      find(choice.tenantDefault ?? '') ?? find(choice.modelDefault) ?? BUILT_IN_TEMPLATES.none
    const places = (placeholder: string) =>
      [template.query, template.document].some((form) => form.includes(placeholder))
    const taskFields =
      (fields?.taskType !== undefined && !places('{task_type}')) ||
      (fields?.useCase !== undefined && !places('{use_case}'))
    if (taskFields) template = find('represent')!
    else if (fields?.instruction !== undefined && !places('{instruction}'))
      template = find('prefix')!
  }
  if (fields) checkFieldsFit(template, fields)
  return template
}

function checkFieldsFit(template: InstructionTemplate, fields: TemplateFields): void {
  const form = fields.inputType === 'query' ? template.query : template.document
  const given: [keyof TemplateFields, string, string][] = [
    ['instruction', 'instruction', '{instruction}'],
    ['taskType', 'task_type', '{task_type}'],
    ['useCase', 'use_case', '{use_case}'],
  ]
  for (const [key, param, placeholder] of given) {
    if (fields[key] === undefined || form.includes(placeholder)) continue
    const documentsBare = key === 'instruction' && template.query.includes('{instruction}')
    const advice = documentsBare
      ? `template '${template.id}' embeds documents as they are${template.id === 'qwen3' ? " (as Qwen's guidance says)" : ''}; name template 'prefix', or one of your own, to put an instruction on documents`
      : `template '${template.id}' has no place for ${param} in its ${fields.inputType} form; ${param === 'instruction' ? "name a template that takes one, e.g. 'prefix'" : "name template 'represent'"}`
    throw new ApiError(400, advice, { param, code: 'invalid_value' })
  }
}
