/**
 * Sessions from configuration, on the real onnxruntime-node CPU build (which
 * has no CUDA provider, so CUDA entries exercise the fallback).
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { qwen3Exports } from '../../test/support/qwen3-exports.ts'
import { tinyQwen3Folder } from '../../test/support/tiny-qwen3-folder.ts'
import type { SessionConfig } from '../config.ts'
import { testSessionConfig } from '../../scripts/dev/node-in-process.ts'
import { readModelFolder, type ModelFolder } from '../model/model-folder.ts'
import type { ModelManifest } from '../model/manifest.ts'
import type { EmbeddingBackend } from './backend.ts'
import { padBatch } from './padded-batch.ts'
import { cudaProviderInstalled } from './onnx-session.ts'
import { startSessions } from './session-pool.ts'
import { WorkerThread } from '../threads/worker-thread.ts'

let folder: ModelFolder
let manifest: ModelManifest
let remove: () => Promise<void>
const started: EmbeddingBackend[] = []

beforeAll(async () => {
  const generated = await tinyQwen3Folder()
  remove = generated.remove
  folder = await readModelFolder(generated.dir)
})
afterAll(async () => {
  await Promise.all(started.map((backend) => backend.close()))
  await remove()
})

async function start(overrides: Partial<SessionConfig>, log: (line: string) => void = () => {}) {
  const { backends, model } = await startSessions(
    folder,
    undefined,
    testSessionConfig(overrides),
    log,
  )
  manifest = model.manifest
  started.push(...backends)
  return backends
}

describe('startSessions', () => {
  it('starts CPU_SESSIONS sessions, each in its own thread and each giving the same vectors', async () => {
    const backends = await start({ cpuSessions: 2 })
    expect(backends.map((b) => b.label)).toEqual(['cpu#0', 'cpu#1'])
    const batch = () => padBatch([[9707, 1879, 151643], [151643]], manifest)
    // Which worker thread each session's batch was sent to (the spy only watches).
    const ranOn = vi.spyOn(WorkerThread.prototype, 'run')
    const [a, b] = await Promise.all(backends.map((backend) => backend.embed(batch())))
    const threads = [...ranOn.mock.contexts] as WorkerThread<unknown, unknown>[]
    ranOn.mockRestore()
    expect(threads.map((thread) => thread.name)).toEqual(['cpu#0 session', 'cpu#1 session'])
    expect(threads[0]).not.toBe(threads[1])
    expect(a.vectors.map((v) => Array.from(v))).toEqual(b.vectors.map((v) => Array.from(v)))
    expect(a.vectors).toHaveLength(2)
    expect(Array.from(a.norms)).toEqual(Array.from(b.norms))

    // Their own threads: with the first one ended, the second still serves.
    await threads[0].close()
    await expect(backends[0].embed(batch())).rejects.toMatchObject({ status: 503 })
    const still = await backends[1].embed(batch())
    expect(still.vectors.map((v) => Array.from(v))).toEqual(a.vectors.map((v) => Array.from(v)))
  })

  it('falls back to the CPU when no CUDA device loads, and says so', async () => {
    const lines: string[] = []
    const backends = await start(
      {
        executionProviders: [
          { name: 'cuda', deviceId: 0 },
          { name: 'cuda', deviceId: 1 },
          { name: 'cpu' },
        ],
      },
      (line) => lines.push(line),
    )
    expect(backends.map((b) => b.label)).toEqual(['cpu'])
    // A build without the CUDA library is not asked for CUDA at all (onnxruntime would print a
    // red error); a CUDA build is asked, device by device.
    expect(lines.join('\n')).toMatch(
      cudaProviderInstalled()
        ? /cuda:0 unavailable: .*cuda:1 unavailable: /s
        : /no CUDA provider \(a GPU host adds it with `npm run cuda:install`\)/,
    )
    expect(lines.join('\n')).toContain('running on CPU')
  })

  it('refuses to start when nothing listed can load the model', async () => {
    await expect(start({ executionProviders: [{ name: 'cuda', deviceId: 0 }] })).rejects.toThrow(
      /no execution provider could load/,
    )
  })

  it('falls back to the CPU when the GPU variant cannot be served, and serves fp32 there', async () => {
    const exported = await qwen3Exports(['onnx-community'])
    try {
      // A model_fp16.onnx that is not an ONNX file, as a half-finished download leaves it.
      await writeFile(path.join(exported.dirs['onnx-community'], 'onnx', 'model_fp16.onnx'), 'oops')
      const lines: string[] = []
      const { backends, model } = await startSessions(
        readModelFolder(exported.dirs['onnx-community']),
        undefined,
        testSessionConfig({ executionProviders: [{ name: 'cuda', deviceId: 0 }, { name: 'cpu' }] }),
        (line) => lines.push(line),
      )
      started.push(...backends)
      expect(backends.map((b) => b.label)).toEqual(['cpu'])
      expect(model.variant).toBe('fp32')
      expect(lines.join('\n')).toMatch(
        cudaProviderInstalled()
          ? /the GPU variant cannot be served: .*onnx\/model_fp16\.onnx/s
          : /no CUDA provider/,
      )
    } finally {
      await exported.remove()
    }
  })
})
