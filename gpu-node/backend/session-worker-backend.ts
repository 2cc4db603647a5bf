/**
 * An EmbeddingBackend that owns one worker thread running one onnxruntime
 * session (session-worker.ts). Batches cross by transfer, not copy. If the
 * thread dies, the batch it was running fails with a retryable 503, one sent
 * ahead to wait behind it fails with BatchNotRunError (the scheduler queues
 * its inputs again), the backend reports itself dead, and a new thread loads
 * the model again (threads/restarting-thread.ts); once it runs, the backend
 * is alive again.
 */
import { providerLabel, type ProviderSpec } from '../config.ts'
import type { ModelManifest } from '../model/manifest.ts'
import { BatchNotRunError, type EmbeddedBatch, type EmbeddingBackend } from './backend.ts'
import type { SessionSettings } from './onnx-session.ts'
import { batchBuffers, type PaddedBatch } from './padded-batch.ts'
import { RestartingThread, retryable, type Supervision } from '../threads/restarting-thread.ts'
import type { SessionWorkerData, SessionWorkerResult } from './session-worker.ts'
import { ThreadDiedError, WorkerThread } from '../threads/worker-thread.ts'

const WORKER_ENTRY = new URL('./session-worker.mjs', import.meta.url)

type SessionThread = WorkerThread<PaddedBatch, SessionWorkerResult>

export class SessionWorkerBackend implements EmbeddingBackend {
  private constructor(
    readonly label: string,
    private readonly slot: RestartingThread<SessionThread>,
  ) {}

  /**
   * Starts the thread and loads the model; rejects with onnxruntime's reason if it cannot.
   * @param label names the session in logs and metrics (default: `cuda:1`, `cpu`)
   */
  static async start(
    onnxPath: string,
    manifest: ModelManifest,
    spec: ProviderSpec,
    settings: SessionSettings,
    label = providerLabel(spec),
    supervision: Supervision = { log: console.log },
  ): Promise<SessionWorkerBackend> {
    const workerData: SessionWorkerData = { onnxPath, manifest, spec, settings }
    const name = `${label} session`
    const slot = await RestartingThread.start<SessionThread>({
      name,
      kind: 'session',
      start: () => WorkerThread.start(WORKER_ENTRY, workerData, name),
      supervision,
    })
    return new SessionWorkerBackend(label, slot)
  }

  get alive(): boolean {
    return this.slot.thread !== null
  }

  /** Seconds until this session's thread is started again; 1 while it runs. */
  get retryAfterSeconds(): number {
    return this.slot.thread ? 1 : this.slot.retryAfterSeconds
  }

  async embed(batch: PaddedBatch): Promise<EmbeddedBatch> {
    const thread = this.slot.thread
    if (!thread)
      throw retryable(`the ${this.slot.name} thread is being restarted`, this.retryAfterSeconds)
    let result: SessionWorkerResult
    try {
      result = await thread.run(batch, batchBuffers(batch))
    } catch (err) {
      if (!(err instanceof ThreadDiedError)) throw err
      // Another session may well be running: the request can be retried at once.
      const retry = retryable(
        `the ${this.slot.name} thread died while running ${err.running ? 'this request' : 'the batch before this one'} and is being restarted`,
        1,
      )
      throw err.running ? retry : new BatchNotRunError(retry)
    }
    const vectors: Float32Array[] = []
    for (let start = 0; start < result.vectors.length; start += result.width)
      vectors.push(result.vectors.subarray(start, start + result.width))
    return { vectors, norms: result.norms, busyMs: result.busyMs }
  }

  close(): Promise<void> {
    return this.slot.close()
  }
}
