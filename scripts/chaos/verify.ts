/**
 * Every vector the run got back, checked against a reference computed with
 * the node's own session in this process (the same model files, loaded as a
 * node loads them), after the run, when the cores are free. A vector that is
 * not its input's reference is wrong; a wrong one that is another tenant's
 * reference for the same text has crossed tenants.
 */
import { cosine } from '../../shared/cosine.ts'
import { projectVector } from '../../edge/embeddings/projection.ts'
import { BUILT_IN_TEMPLATES, renderTemplate } from '../../shared/templates.ts'
import { loadNode } from '../../gpu-node/load-node.ts'
import { testSettings } from '../dev/node-in-process.ts'
import { instructionOf, MODEL } from './client.ts'

/** Same model, same CPU kernels; batches padded differently move a vector by far less. */
const SAME = 0.9999

export interface Returned {
  tenant: string
  text: string
  dimensions: number | undefined
  vector: Float32Array
}

export interface VectorVerdict {
  checked: number
  wrong: number
  crossed: number
  /** A few wrong ones, to read. */
  examples: string[]
}

const finalText = (tenant: string, text: string) =>
  renderTemplate(BUILT_IN_TEMPLATES.prefix, {
    text,
    inputType: 'query',
    instruction: instructionOf(tenant),
  })

export async function verifyVectors(
  modelDir: string,
  returned: Returned[],
  tenants: string[],
): Promise<VectorVerdict> {
  const node = await loadNode(testSettings(modelDir, { vectorCacheBytes: 0 }), { log: () => {} })
  await node.warmUp()
  const references = new Map<string, Float32Array>()
  async function computeReferences(finals: string[]): Promise<void> {
    const missing = [...new Set(finals)].filter((text) => !references.has(text))
    for (let i = 0; i < missing.length; i += 64) {
      const part = missing.slice(i, i + 64)
      const { frame } = await node.infer.embed({
        model: MODEL,
        inputs: part.map((text) => ({ text })),
        truncate: true,
      })
      part.forEach((text, k) => references.set(text, frame.vectors[k].slice()))
    }
  }
  try {
    await computeReferences(returned.map(({ tenant, text }) => finalText(tenant, text)))
    const verdict: VectorVerdict = { checked: 0, wrong: 0, crossed: 0, examples: [] }
    const matches = (vector: Float32Array, reference: Float32Array, dimensions?: number) =>
      vector.length === (dimensions ?? reference.length) &&
      cosine(vector, dimensions ? projectVector(reference, dimensions) : reference) >= SAME
    for (const { tenant, text, dimensions, vector } of returned) {
      verdict.checked++
      if (matches(vector, references.get(finalText(tenant, text))!, dimensions)) continue
      verdict.wrong++
      const others = tenants.filter((other) => other !== tenant)
      await computeReferences(others.map((other) => finalText(other, text)))
      const crossed = others.some((other) =>
        matches(vector, references.get(finalText(other, text))!, dimensions),
      )
      if (crossed) verdict.crossed++
      if (verdict.examples.length < 5)
        verdict.examples.push(
          `${tenant}: '${text.slice(0, 60)}' (${crossed ? 'crossed' : 'wrong'})`,
        )
    }
    return verdict
  } finally {
    await node.close()
  }
}
