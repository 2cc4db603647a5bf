/**
 * The precision variants a published export ships side by side, named as
 * transformers.js names them (`dtype`), and which one a node serves:
 * `MODEL_VARIANT` when set, else fp16 on a GPU and fp32 on a CPU, else the
 * first the folder has in a sensible order for that device.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'

export const MODEL_VARIANTS = [
  'fp32',
  'fp16',
  'q8',
  'int8',
  'uint8',
  'q4',
  'q4f16',
  'bnb4',
] as const
export type ModelVariant = (typeof MODEL_VARIANTS)[number]

/** transformers.js' file suffixes (utils/dtypes.js): `onnx/model_fp16.onnx` is fp16. */
const SUFFIX: Record<ModelVariant, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
}

/**
 * Preference when MODEL_VARIANT is not set. A GPU runs float16 at twice float32's speed in half
 * the memory; a CPU has few float16 kernels (onnxruntime casts around them), so it prefers
 * float32, then the 8-bit files its integer kernels run well.
 */
const PREFERENCE: Record<'gpu' | 'cpu', ModelVariant[]> = {
  gpu: ['fp16', 'fp32', 'q4f16', 'q8', 'int8', 'uint8', 'q4', 'bnb4'],
  cpu: ['fp32', 'q8', 'int8', 'uint8', 'fp16', 'q4', 'q4f16', 'bnb4'],
}

/** The ONNX file of each variant the folder has, `model.onnx` at its root or under `onnx/`. */
export function findVariantFiles(dir: string): Map<ModelVariant, string> {
  const found = new Map<ModelVariant, string>()
  for (const variant of MODEL_VARIANTS) {
    const name = `model${SUFFIX[variant]}.onnx`
    const file = [path.join(dir, name), path.join(dir, 'onnx', name)].find((f) => existsSync(f))
    if (file) found.set(variant, file)
  }
  return found
}

export interface VariantChoice {
  variant: ModelVariant
  /** Set when the preferred variant was missing and another was taken: one log line's worth. */
  fallback?: string
}

/**
 * @param requested MODEL_VARIANT, which must exist in the folder
 * @throws when the folder has no file for the requested variant, or none at all
 */
export function chooseVariant(
  available: ReadonlySet<ModelVariant> | ReadonlyMap<ModelVariant, unknown>,
  device: 'gpu' | 'cpu',
  requested?: ModelVariant,
): VariantChoice {
  const has = (v: ModelVariant) => available.has(v)
  const names = MODEL_VARIANTS.filter(has)
  if (requested) {
    if (!has(requested)) {
      throw new Error(
        `MODEL_VARIANT=${requested}: the folder has no ${variantFileName(requested)} (it has ${names.join(', ') || 'no ONNX file'})`,
      )
    }
    return { variant: requested }
  }
  const [preferred] = PREFERENCE[device]
  const variant = PREFERENCE[device].find(has)
  if (!variant) throw new Error('the folder has no model.onnx (nor onnx/model*.onnx)')
  if (variant === preferred) return { variant }
  return {
    variant,
    fallback: `${variantFileName(preferred)} is missing, so the ${device.toUpperCase()} serves ${variant} (${variantFileName(variant)})`,
  }
}

export function variantFileName(variant: ModelVariant): string {
  return `model${SUFFIX[variant]}.onnx`
}

export function parseVariant(raw: string): ModelVariant {
  const variant = raw.trim().toLowerCase()
  if (!(MODEL_VARIANTS as readonly string[]).includes(variant))
    throw new Error(`MODEL_VARIANT must be one of ${MODEL_VARIANTS.join(', ')}, got '${raw}'`)
  return variant as ModelVariant
}
