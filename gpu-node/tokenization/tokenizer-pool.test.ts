/**
 * The tokenizer threads' pipeline (tokenizer-pool.ts), on the real Qwen3 tokenizer: a thread
 * takes several short requests at once, so its next one is waiting when it finishes, but a
 * request is never sent to a thread that holds a long text, so a long text holds up its own
 * thread only. Which thread each task went to is read off WorkerThread.run; nothing is timed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { tinyQwen3Folder } from '../../test/support/tiny-qwen3-folder.ts'
import { openModel } from '../model/model-folder.ts'
import { WorkerThread } from '../threads/worker-thread.ts'
import { PIPELINE_CHARS, PIPELINE_TASKS, TokenizerPool } from './tokenizer-pool.ts'
import type { TokenizeTask } from './tokenize-worker.ts'

let pool: TokenizerPool
let cleanUp: () => Promise<void>

beforeAll(async () => {
  const folder = await tinyQwen3Folder()
  const { folder: opened, manifest } = openModel(folder.dir)
  pool = new TokenizerPool(
    {
      tokenizerPath: opened.tokenizerPath,
      tokenizerConfigPath: opened.tokenizerConfigPath,
      manifest,
    },
    2,
    { log: () => {} },
  )
  await pool.warmUp()
  cleanUp = async () => {
    await pool.close()
    await folder.remove()
  }
}, 120_000)
afterAll(() => cleanUp())
afterEach(() => {
  vi.restoreAllMocks()
})

/** Records, for each task sent, its thread and the characters that thread already held. */
function watchSends() {
  const sends: { thread: string; chars: number; heldChars: number; heldTasks: number }[] = []
  const held = new Map<string, { chars: number; tasks: number }>()
  const run = WorkerThread.prototype.run
  vi.spyOn(WorkerThread.prototype, 'run').mockImplementation(function (
    this: WorkerThread<unknown, unknown>,
    task: unknown,
    transfer,
  ) {
    const chars = (task as TokenizeTask).inputs.reduce(
      (sum, input) => sum + ('text' in input ? input.text.length : 0),
      0,
    )
    const now = held.get(this.name) ?? { chars: 0, tasks: 0 }
    sends.push({ thread: this.name, chars, heldChars: now.chars, heldTasks: now.tasks })
    held.set(this.name, { chars: now.chars + chars, tasks: now.tasks + 1 })
    const settle = () => {
      const after = held.get(this.name)!
      held.set(this.name, { chars: after.chars - chars, tasks: after.tasks - 1 })
    }
    const result = run.call(this, task, transfer)
    result.then(settle, settle)
    return result
  })
  return sends
}

const encode = (text: string) => pool.encode([{ text }], true, [0])

describe('the tokenizer pipeline', () => {
  it('gives a thread several short requests at once, never more than its limit', async () => {
    const sends = watchSends()
    const texts = Array.from({ length: 40 }, (_, i) => `a short query number ${i}`)
    const rows = await Promise.all(texts.map(encode))
    expect(rows).toHaveLength(40)
    // All 40 were sent at once: each thread held several, up to PIPELINE_TASKS.
    expect(Math.max(...sends.map((send) => send.heldTasks))).toBe(PIPELINE_TASKS - 1)
    // Same ids as one at a time.
    expect(Array.from((await encode(texts[7]))[0])).toEqual(Array.from(rows[7][0]))
  })

  it('never sends a request to a thread that holds a long text', async () => {
    const sends = watchSends()
    const long = 'a long document, word after word. '.repeat(2_000)
    expect(long.length).toBeGreaterThan(PIPELINE_CHARS)
    const shorts = Array.from({ length: 20 }, (_, i) => `a query behind the long one ${i}`)
    await Promise.all([encode(long), ...shorts.map(encode)])
    const longSend = sends.find((send) => send.chars === long.length)!
    expect(longSend.heldTasks).toBe(0)
    for (const send of sends.filter((s) => s.thread === longSend.thread && s !== longSend)) {
      // Sent to that thread only once the long text was done: it then held no long text.
      expect(send.heldChars).toBeLessThanOrEqual(PIPELINE_CHARS)
    }
    // And the short ones were served meanwhile by the other thread.
    expect(sends.filter((s) => s.thread !== longSend.thread).length).toBeGreaterThan(0)
  })
})
