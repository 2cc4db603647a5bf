/**
 * Step 3 of a request: the text each input becomes once its template is
 * applied. Token-id input passes through untouched.
 *
 * The README's request walk: step 6.
 */
import type { EmbeddingsRequest } from './embeddings-request.ts'
import type { ModelInfo, ModelInput } from '../../shared/node-protocol.ts'
import { chooseTemplate, renderTemplate, type InputType } from '../../shared/templates.ts'
import type { Tenant } from '../tenants/tenant.ts'

/**
 * Without `input_type`, an input is a document (embedded as it is, as plain
 * OpenAI clients expect) unless the request gives an instruction, which only
 * makes sense for a query.
 */
export function effectiveInputType(request: EmbeddingsRequest): InputType {
  return request.input_type ?? (request.instruction !== undefined ? 'query' : 'document')
}

export function finalInputs(
  request: EmbeddingsRequest,
  model: ModelInfo,
  tenant: Tenant,
): ModelInput[] {
  if (request.input.kind === 'ids') return request.input.items.map((ids) => ({ ids }))
  const inputType = effectiveInputType(request)
  const template = chooseTemplate({
    requested: request.template,
    fields: {
      inputType,
      instruction: request.instruction,
      taskType: request.task_type,
      useCase: request.use_case,
    },
    tenantTemplates: tenant.templates,
    tenantDefault: tenant.default_template,
    modelDefault: model.instruction_format === 'qwen3' ? 'qwen3' : 'none',
  })
  const instruction =
    request.instruction ?? (template.id === 'qwen3' ? model.default_instruction : undefined)
  return request.input.items.map((text) => ({
    text: renderTemplate(template, {
      text,
      inputType,
      instruction,
      taskType: request.task_type,
      useCase: request.use_case,
    }),
  }))
}
