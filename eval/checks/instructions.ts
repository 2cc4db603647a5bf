/**
 * Check 3, instruction influence. The eval writes each instruction into the text itself, in
 * Qwen3's form (`Instruct: {instruction}\nQuery:{text}`) and in the `represent` form
 * (`Represent the query for {use case}: {text}`), so any endpoint gets the same text:
 * - how far the instruction moves the vectors (mean cosine distance between instruction pairs);
 * - a query → passage retrieval set scored as MRR@10 with the matching instruction, a
 *   mismatched one and none (passages are embedded as they are, as Qwen3 documents are);
 * - 2-D PCA coordinates of the texts under each instruction, for the report's picture.
 * It passes when the matching instruction retrieves at least as well as none and the
 * mismatched one, and the instruction moves the vectors at all.
 */
import { PCA } from 'ml-pca'
import { BUILT_IN_TEMPLATES, renderTemplate } from '../../shared/templates.ts'
import type { EmbeddingClient } from '../client.ts'
import { instructionData } from '../data.ts'
import { cosine, mean, mrrAtK } from '../metrics.ts'

/** The `represent` use case each instruction stands for. */
const USE_CASES: Record<string, string> = {
  retrieval: 'retrieval',
  classification: 'classification',
  clustering: 'clustering',
  legal: 'legal case retrieval',
}

export interface InstructionResult {
  /** Mean cosine distance between the same text under two instructions, per template form. */
  mean_shift: { qwen3: number; represent: number }
  mrr_at_10: { matching: number; mismatched: number; none: number }
  /** 2-D PCA of the texts under each instruction (qwen3 form). */
  pca: { instruction: string; x: number; y: number; text: number }[]
  passed: boolean
}

export function qwen3Query(instruction: string, text: string): string {
  return renderTemplate(BUILT_IN_TEMPLATES.qwen3, { text, inputType: 'query', instruction })
}

function representQuery(useCase: string, text: string): string {
  return renderTemplate(BUILT_IN_TEMPLATES.represent, { text, inputType: 'query', useCase })
}

export async function checkInstructions(client: EmbeddingClient): Promise<InstructionResult> {
  const data = instructionData()
  const keys = Object.keys(data.instructions)
  const under = async (form: (key: string, text: string) => string) =>
    Promise.all(keys.map((key) => client.embed(data.texts.map((text) => form(key, text)))))
  const qwen3 = await under((key, text) => qwen3Query(data.instructions[key], text))
  const represent = await under((key, text) => representQuery(USE_CASES[key] ?? key, text))
  const shift = (sets: Float32Array[][]) => {
    const distances: number[] = []
    for (let a = 0; a < sets.length; a++)
      for (let b = a + 1; b < sets.length; b++)
        data.texts.forEach((_, t) => distances.push(1 - cosine(sets[a][t], sets[b][t])))
    return mean(distances)
  }

  const { passages, queries, instruction, mismatched } = data.retrieval
  const documents = await client.embed(passages.map((p) => p.text))
  const relevant = queries.map((q) =>
    q.relevant.map((id) => passages.findIndex((p) => p.id === id)),
  )
  const mrrWith = async (key: string | null) => {
    const texts = queries.map((q) => (key ? qwen3Query(data.instructions[key], q.text) : q.text))
    return mrrAtK(await client.embed(texts), documents, relevant)
  }
  const mrr = {
    matching: await mrrWith(instruction),
    mismatched: await mrrWith(mismatched),
    none: await mrrWith(null),
  }

  const rows = qwen3.flat()
  const pca = new PCA(rows.map((v) => Array.from(v)))
  const projected = pca
    .predict(
      rows.map((v) => Array.from(v)),
      { nComponents: 2 },
    )
    .to2DArray()
  const points = projected.map(([x, y], i) => ({
    instruction: keys[Math.floor(i / data.texts.length)],
    x,
    y,
    text: i % data.texts.length,
  }))
  const meanShift = { qwen3: shift(qwen3), represent: shift(represent) }
  return {
    mean_shift: meanShift,
    mrr_at_10: mrr,
    pca: points,
    passed: meanShift.qwen3 > 0 && mrr.matching >= mrr.none && mrr.matching >= mrr.mismatched,
  }
}
