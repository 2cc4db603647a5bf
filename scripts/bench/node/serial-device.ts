/**
 * One SIMULATED device behind a stream, for the naive baseline of bench:node's simulated
 * section: calls wait their turn, as kernels on one CUDA stream do, and each blocks a thread of
 * its own (not the event loop) for the cost it is given. Counts the time it was busy.
 */
import { Worker } from 'node:worker_threads'

// A plain script (no TypeScript loader in an eval'd worker): it only waits, without CPU.
const WORKER = `
const { parentPort } = require('node:worker_threads')
const sleeper = new Int32Array(new SharedArrayBuffer(4))
parentPort.on('message', ({ id, ms }) => {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms)
  // Busy for the modelled time, as the node's simulated device counts it.
  parentPort.postMessage({ id, busyMs: ms })
})
`

export class SerialDevice {
  private readonly worker = new Worker(WORKER, { eval: true })
  private readonly waiting = new Map<number, () => void>()
  private nextId = 0
  busySeconds = 0

  constructor() {
    this.worker.on('message', ({ id, busyMs }: { id: number; busyMs: number }) => {
      this.busySeconds += busyMs / 1000
      this.waiting.get(id)?.()
      this.waiting.delete(id)
    })
    this.worker.unref()
  }

  /** Resolves once the device has spent `ms` on this call, after every call before it. */
  run(ms: number): Promise<void> {
    const id = this.nextId++
    return new Promise((resolve) => {
      this.waiting.set(id, resolve)
      this.worker.postMessage({ id, ms })
    })
  }
}
