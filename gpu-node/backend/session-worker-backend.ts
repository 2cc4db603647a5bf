/**
 * An EmbeddingBackend that owns one worker thread running one onnxruntime
 * session (session-worker.ts). Batches cross by transfer, not copy. If the
 * thread dies, the batch it held fails and the backend reports itself dead.
 */
import { Worker } from 'node:worker_threads'
import { providerLabel, type ProviderSpec } from '../config.ts'
import type { ModelManifest } from '../model/manifest.ts'
import type { EmbeddedBatch, EmbeddingBackend } from './backend.ts'
import type { SessionSettings } from './onnx-session.ts'
import { batchBuffers, type PaddedBatch } from './padded-batch.ts'
import type { SessionWorkerData, SessionWorkerReply, SessionWorkerTask } from './session-worker.ts'

const WORKER_ENTRY = new URL('./session-worker.mjs', import.meta.url)

interface Pending {
  resolve: (batch: EmbeddedBatch) => void
  reject: (error: Error) => void
}

export class SessionWorkerBackend implements EmbeddingBackend {
  readonly label: string
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private exited = false

  private constructor(
    private readonly worker: Worker,
    label: string,
  ) {
    this.label = label
    worker.on('message', (reply: SessionWorkerReply) => {
      if (reply.type !== 'done' && reply.type !== 'error') return
      const pending = this.pending.get(reply.id)
      this.pending.delete(reply.id)
      if (!pending) return
      if (reply.type === 'error') return pending.reject(new Error(reply.message))
      const vectors: Float32Array[] = []
      for (let start = 0; start < reply.vectors.length; start += reply.width)
        vectors.push(reply.vectors.subarray(start, start + reply.width))
      pending.resolve({ vectors, norms: reply.norms })
    })
    worker.on('error', (err) =>
      console.error(`[node] the ${this.label} session thread failed:`, err),
    )
    worker.on('exit', (code) => {
      this.exited = true
      for (const pending of this.pending.values())
        pending.reject(new Error(`the ${this.label} session thread exited (${code})`))
      this.pending.clear()
    })
  }

  /**
   * Starts the thread and loads the model; rejects with onnxruntime's reason if it cannot.
   * @param label names the session in logs and metrics (default: `cuda:1`, `cpu`)
   */
  static start(
    onnxPath: string,
    manifest: ModelManifest,
    spec: ProviderSpec,
    settings: SessionSettings,
    label = providerLabel(spec),
  ): Promise<SessionWorkerBackend> {
    const workerData: SessionWorkerData = { onnxPath, manifest, spec, settings }
    const worker = new Worker(WORKER_ENTRY, { workerData })
    return new Promise((resolve, reject) => {
      const onMessage = (reply: SessionWorkerReply) => {
        if (reply.type === 'ready') {
          cleanUp()
          resolve(new SessionWorkerBackend(worker, label))
        } else if (reply.type === 'failed') {
          cleanUp()
          void worker.terminate()
          reject(new Error(reply.message))
        }
      }
      const onError = (err: Error) => {
        cleanUp()
        reject(new Error(`the session thread failed: ${err.message}`))
      }
      const onExit = (code: number) => {
        cleanUp()
        reject(new Error(`the session thread exited (${code}) while loading`))
      }
      const cleanUp = () => {
        worker.off('message', onMessage)
        worker.off('error', onError)
        worker.off('exit', onExit)
      }
      worker.on('message', onMessage)
      worker.on('error', onError)
      worker.on('exit', onExit)
    })
  }

  get alive(): boolean {
    return !this.exited
  }

  embed(batch: PaddedBatch): Promise<EmbeddedBatch> {
    if (this.exited) return Promise.reject(new Error(`the ${this.label} session thread is gone`))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      const task: SessionWorkerTask = { id, batch }
      this.worker.postMessage(task, batchBuffers(batch))
    })
  }

  async close(): Promise<void> {
    if (!this.exited) await this.worker.terminate()
  }
}
