/**
 * A thread that dies in a real node (the generated tiny Qwen3, one session,
 * one tokenizer thread): the request it held gets a retryable 503 rather
 * than a hang or a 500, the node says it is neither healthy nor ready and
 * refuses new work with that 503 until the thread is back, then serves again.
 *
 * The test ends a thread (terminate(), as the pool's handle would) just as a
 * task is sent to it, so the task is held by a thread that dies; and it holds
 * the restart until it has looked, so nothing depends on how fast the machine
 * is. The thread is told to end before the task is sent, not after: the
 * thread would start on it at once, and a session thread stopped in the
 * middle of onnxruntime's run can abort the whole process (onnxruntime-node
 * throws from native code into a thread that is stopping).
 */
import type { Transferable } from 'node:worker_threads'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { OpenAIErrorBody } from '../../shared/errors.ts'
import { tinyQwen3Folder } from '../../test/support/tiny-qwen3-folder.ts'
import type { LoadedNode } from '../load-node.ts'
import { postEmbed, textsBody } from '../../scripts/dev/signed-request.ts'
import { startTestNode } from '../../scripts/dev/node-in-process.ts'
import type { ThreadKind } from '../threads/restarting-thread.ts'
import { WorkerThread } from '../threads/worker-thread.ts'

let node: LoadedNode
let cleanUp: () => Promise<void>

beforeAll(async () => {
  const folder = await tinyQwen3Folder()
  node = await startTestNode(folder.dir, { tokenizationWorkers: 1 })
  cleanUp = async () => {
    await node.close()
    await folder.remove()
  }
})
afterAll(() => cleanUp())
afterEach(() => {
  vi.restoreAllMocks()
})

const embed = (...texts: string[]) => postEmbed(node.app, textsBody(node.manifest.id, texts))
const status = async (path: string) => (await node.app.request(path)).status

/** The next task sent to the thread named `name` dies with it: the thread ends as it is sent. */
function killOnNextTask(name: string): void {
  const run = WorkerThread.prototype.run
  const spy = vi.spyOn(WorkerThread.prototype, 'run').mockImplementation(function (
    this: WorkerThread<unknown, unknown>,
    task: unknown,
    transfer?: Transferable[],
  ) {
    if (this.name === name) {
      spy.mockRestore()
      void this.close()
    }
    return run.call(this, task, transfer)
  })
}

/** The next thread start waits until `release()`; `reached` settles when it has begun. */
function holdNextStart() {
  const start = WorkerThread.start
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let began!: () => void
  const reached = new Promise<void>((resolve) => (began = resolve))
  const spy = vi.spyOn(WorkerThread, 'start').mockImplementation(async (...args) => {
    spy.mockRestore()
    began()
    await released
    return start.apply(WorkerThread, args)
  })
  return { reached, release }
}

/** Polls `check` until it holds, at most `tries` times. */
async function eventually(check: () => Promise<boolean>, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`the condition did not hold after ${tries} tries`)
}

async function expectRetryable(response: Response, message: RegExp): Promise<void> {
  expect(response.status).toBe(503)
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
  const { error } = (await response.json()) as OpenAIErrorBody
  expect(error.code).toBe('node_restarting')
  expect(error.message).toMatch(message)
  expect(error.message).toMatch(/retry in \d+ s$/)
}

async function restarts(kind: ThreadKind): Promise<number> {
  const { values } = await node.metrics.threadRestarts.get()
  return values.find((value) => value.labels.kind === kind)?.value ?? 0
}

describe('a thread that dies', () => {
  it('fails the batch its session held with a retryable 503, and the node serves again once the session restarts', async () => {
    expect((await embed('served before the session dies')).status).toBe(200)
    const restart = holdNextStart()
    killOnNextTask('cpu session')
    await expectRetryable(
      await embed('in flight when the session dies'),
      /the cpu session thread died while running this request/,
    )

    // The only session is gone: not healthy, not ready, and new work gets the 503 at once.
    await eventually(async () => (await status('/ready')) === 503)
    expect(await (await node.app.request('/ready')).json()).toEqual({
      status: 'restarting threads',
    })
    expect(await status('/health')).toBe(503)
    await expectRetryable(
      await embed('sent while the session restarts'),
      /no inference session is running/,
    )

    await restart.reached
    restart.release()
    await eventually(async () => (await status('/ready')) === 200)
    expect(await status('/health')).toBe(200)
    expect((await embed('served after the session restarted')).status).toBe(200)
    expect(await restarts('session')).toBe(1)
  })

  it('fails the request its tokenizer thread held with a retryable 503, serves cached inputs meanwhile, and tokenizes again once it restarts', async () => {
    expect((await embed('cached before the tokenizer dies')).status).toBe(200)
    const restart = holdNextStart()
    killOnNextTask('tokenizer#0')
    await expectRetryable(
      await embed('in flight when the tokenizer dies'),
      /the tokenizer#0 thread died while tokenizing this request/,
    )

    await eventually(async () => (await status('/ready')) === 503)
    expect(await status('/health')).toBe(503)
    await expectRetryable(
      await embed('sent while the tokenizer restarts'),
      /no tokenizer thread is running/,
    )
    const cached = await embed('cached before the tokenizer dies')
    expect(cached.status).toBe(200)
    expect(cached.headers.get('x-node-cache')).toBe('hit')

    await restart.reached
    restart.release()
    await eventually(async () => (await status('/ready')) === 200)
    expect((await embed('tokenized after the tokenizer restarted')).status).toBe(200)
    expect(await restarts('tokenizer')).toBe(1)
  })

  it('fails only the request a dying tokenizer thread was running: the short requests queued behind it on that thread are tokenized by another', async () => {
    // Its own node, with two tokenizer threads: each takes several short requests at a time.
    const folder = await tinyQwen3Folder()
    const twoThreads = await startTestNode(folder.dir, { tokenizationWorkers: 2 })
    try {
      killOnNextTask('tokenizer#0')
      const texts = Array.from({ length: 6 }, (_, i) => `queued behind a dying thread ${i}`)
      const responses = await Promise.all(
        texts.map((text) => postEmbed(twoThreads.app, textsBody(twoThreads.manifest.id, [text]))),
      )
      const failed = responses.filter((response) => response.status !== 200)
      // tokenizer#0 held three of them when it died; only the one it was running may fail.
      expect(failed.length).toBeLessThanOrEqual(1)
      for (const response of failed) expect(response.status).toBe(503)
      // The thread did die, and is started again.
      await eventually(async () => {
        const { values } = await twoThreads.metrics.threadRestarts.get()
        return values.find((value) => value.labels.kind === 'tokenizer')?.value === 1
      })
    } finally {
      await twoThreads.close()
      await folder.remove()
    }
  })
})
