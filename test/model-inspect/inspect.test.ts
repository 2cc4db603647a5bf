/**
 * `npm run model:inspect -- DIR` as a user runs it: on every generated folder it prints what the
 * node would serve and where each value came from, and exits 0; on a broken folder it names
 * every refusal and exits 1.
 */
import { execFile } from 'node:child_process'
import { copyFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import onnxProto from 'onnx-proto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../gpu-node/config.ts'
import { tensorInfo } from '../../scripts/tiny-qwen3/build-graph.ts'
import { qwen3Exports } from '../support/qwen3-exports.ts'
import { tinyQwen3Folder } from '../support/tiny-qwen3-folder.ts'

const { onnx } = onnxProto
let exports: Awaited<
  ReturnType<typeof qwen3Exports<'onnx-community' | 'qdrant' | 'sentence-transformers' | 'fused'>>
>
let manifestFolder: Awaited<ReturnType<typeof tinyQwen3Folder>>
let scratch: string

beforeAll(async () => {
  exports = await qwen3Exports(['onnx-community', 'qdrant', 'sentence-transformers', 'fused'])
  manifestFolder = await tinyQwen3Folder()
  scratch = await mkdtemp(path.join(tmpdir(), 'inspect-'))
})
afterAll(async () => {
  await exports?.remove()
  await manifestFolder?.remove()
  await rm(scratch, { recursive: true, force: true })
})

async function inspect(dir: string): Promise<{ code: number; out: string }> {
  const script = path.join(REPO_ROOT, 'scripts', 'model-inspect.ts')
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, dir])
    return { code: 0, out: stdout }
  } catch (err) {
    const failed = err as { code: number; stdout: string }
    return { code: failed.code, out: failed.stdout }
  }
}

describe('model:inspect', () => {
  it.each(['onnx-community', 'qdrant', 'sentence-transformers', 'fused'] as const)(
    'accepts the %s layout and says where each value came from',
    async (layout) => {
      const { code, out } = await inspect(exports.dirs[layout])
      expect(code, out).toBe(0)
      expect(out).toMatch(
        /dimensions\s+64\s+← (onnx\/)?model\.onnx output last_hidden_state's last axis/,
      )
      expect(out).toMatch(/eos_token_id\s+151643/)
      expect(out).toContain('default on CPU: fp32')
      expect(out).toMatch(/served as qwen3-tiny-/)
    },
  )

  it('tells which tokenizer appends the end token and which leaves it to the node', async () => {
    expect((await inspect(exports.dirs['onnx-community'])).out).toContain(
      "appended by tokenizer.json's post-processor",
    )
    expect((await inspect(exports.dirs['qdrant'])).out).toContain('appended by the node')
  })

  it('shows every variant with its revision, and the default per device', async () => {
    const { out } = await inspect(exports.dirs['onnx-community'])
    expect(out).toContain('default on GPU: fp16')
    for (const variant of ['fp32', 'fp16', 'q8'])
      expect(out).toMatch(new RegExp(`@sha256-[0-9a-f]{16}\\+${variant}`))
  })

  it('accepts a folder with a full manifest.json, naming it as the source', async () => {
    const { code, out } = await inspect(manifestFolder.dir)
    expect(code, out).toBe(0)
    expect(out).toMatch(/pooling\s+"last_token"\s+← manifest\.json/)
  })

  it('refuses a folder with no tokenizer.json, and exits 1', async () => {
    const dir = path.join(scratch, 'no-tokenizer')
    await rm(dir, { recursive: true, force: true })
    await cp(exports.dirs['sentence-transformers'], dir, { recursive: true })
    await rm(path.join(dir, 'tokenizer.json'))
    const { code, out } = await inspect(dir)
    expect(code).toBe(1)
    expect(out).toMatch(/REFUSED:[\s\S]*tokenizer\.json: the folder has none/)
  })

  it('refuses a graph input nobody can feed, and an output it cannot pool', async () => {
    const dir = path.join(scratch, 'odd-graph')
    await mkdir(dir, { recursive: true })
    await copyFile(path.join(exports.dirs['qdrant'], 'config.json'), path.join(dir, 'config.json'))
    await copyFile(
      path.join(exports.dirs['qdrant'], 'tokenizer.json'),
      path.join(dir, 'tokenizer.json'),
    )
    const INT64 = onnx.TensorProto.DataType.INT64
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'odd',
        node: [{ opType: 'Identity', input: ['input_ids'], output: ['token_ids_out'] }],
        input: [
          tensorInfo('input_ids', INT64, ['b', 's']),
          tensorInfo('pixel_values', onnx.TensorProto.DataType.FLOAT, ['b', 3, 224, 224]),
        ],
        output: [tensorInfo('token_ids_out', INT64, ['b', 's'])],
      },
    })
    await writeFile(path.join(dir, 'model.onnx'), onnx.ModelProto.encode(model).finish())
    const { code, out } = await inspect(dir)
    expect(code).toBe(1)
    expect(out).toContain("the input 'pixel_values'")
    expect(out).toMatch(/token_ids_out is int64; the node reads float32 or float16/)
  })
})
