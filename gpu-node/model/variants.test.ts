import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chooseVariant, findVariantFiles, type ModelVariant } from './variants.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'variants-'))
  await mkdir(path.join(dir, 'onnx'))
  for (const name of ['model.onnx', 'model_fp16.onnx', 'model_quantized.onnx', 'model_q4f16.onnx'])
    await writeFile(path.join(dir, 'onnx', name), '')
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('precision variants', () => {
  it("finds transformers.js' file names under onnx/", () => {
    expect([...findVariantFiles(dir).keys()]).toEqual(['fp32', 'fp16', 'q8', 'q4f16'])
  })

  it('serves fp16 on a GPU and fp32 on a CPU by default', () => {
    const files = findVariantFiles(dir)
    expect(chooseVariant(files, 'gpu')).toEqual({ variant: 'fp16' })
    expect(chooseVariant(files, 'cpu')).toEqual({ variant: 'fp32' })
  })

  it('takes what the folder has when the preferred file is missing, and says which', () => {
    const only = new Set<ModelVariant>(['q8'])
    expect(chooseVariant(only, 'gpu')).toEqual({
      variant: 'q8',
      fallback: 'model_fp16.onnx is missing, so the GPU serves q8 (model_quantized.onnx)',
    })
    expect(chooseVariant(new Set<ModelVariant>(['fp16']), 'cpu').variant).toBe('fp16')
  })

  it('honours MODEL_VARIANT, and refuses one the folder lacks', () => {
    const files = findVariantFiles(dir)
    expect(chooseVariant(files, 'gpu', 'q4f16')).toEqual({ variant: 'q4f16' })
    expect(() => chooseVariant(files, 'cpu', 'bnb4')).toThrow(
      'MODEL_VARIANT=bnb4: the folder has no model_bnb4.onnx (it has fp32, fp16, q8, q4f16)',
    )
    expect(() => chooseVariant(new Set(), 'cpu')).toThrow(/no model\.onnx/)
  })
})
