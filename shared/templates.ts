/**
 * Instruction templates: how a request's text becomes the text the model
 * embeds. Applied once, at the edge; the node only ever sees final text.
 *
 * A template has one form for queries and one for documents, with the
 * placeholders `{text}`, `{instruction}`, `{task_type}` and `{use_case}`.
 * Qwen3-Embedding wants `Instruct: {instruction}\nQuery:{text}` for queries
 * and documents as they are.
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
          throw new ApiError(400, `template '${template.id}' needs an instruction for queries`, {
            param: 'instruction',
            code: 'missing_instruction',
          })
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
  /** The tenant's own named templates. */
  tenantTemplates?: Record<string, InstructionTemplate>
  /** The tenant's default template id. */
  tenantDefault?: string
  /** The model's natural template: `qwen3` for Qwen3-Embedding, `none` otherwise. */
  modelDefault: string
}

/**
 * Picks the template for a request: the one it names (tenant templates shadow
 * built-ins), else the tenant's default, else the model's own.
 */
export function chooseTemplate(choice: TemplateChoice): InstructionTemplate {
  const find = (id: string) => choice.tenantTemplates?.[id] ?? BUILT_IN_TEMPLATES[id]
  if (choice.requested !== undefined) {
    const template = find(choice.requested)
    if (!template) {
      throw new ApiError(400, `unknown template '${choice.requested}'`, {
        param: 'template',
        code: 'unknown_template',
      })
    }
    return template
  }
  return find(choice.tenantDefault ?? '') ?? find(choice.modelDefault) ?? BUILT_IN_TEMPLATES.none
}
