/** The eval data sets (eval/data/, written for this project), parsed and checked once. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as z from '../shared/zod-mini.ts'

const DATA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'data')
const read = <T>(file: string, schema: z.ZodMiniType<T>): T =>
  schema.parse(JSON.parse(readFileSync(path.join(DATA, file), 'utf8')))

const Pair = z.object({
  a: z.string(),
  b: z.string(),
  grade: z.union([z.literal(0), z.literal(1), z.literal(2)]),
})

export const similarityData = () =>
  read('similarity.json', z.object({ languages: z.record(z.string(), z.array(Pair)) }))

export const parallelData = () =>
  read(
    'parallel.json',
    z.object({
      languages: z.array(z.string()),
      sentences: z.array(z.record(z.string(), z.string())),
    }),
  )

export const instructionData = () =>
  read(
    'instructions.json',
    z.object({
      instructions: z.record(z.string(), z.string()),
      texts: z.array(z.string()),
      retrieval: z.object({
        instruction: z.string(),
        mismatched: z.string(),
        passages: z.array(z.object({ id: z.string(), text: z.string() })),
        queries: z.array(z.object({ text: z.string(), relevant: z.array(z.string()) })),
      }),
    }),
  )
