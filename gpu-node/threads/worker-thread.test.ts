/**
 * Real worker threads that die the ways a session or tokenizer thread can:
 * process.exit in a task, an uncaught error while idle, a load that fails.
 * The main thread hears each death with its reason, fails what the thread
 * held, and carries on.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ThreadDiedError, WorkerThread } from './worker-thread.ts'

let dir: string
let entry: URL
const threads: WorkerThread<string, string>[] = []

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'worker-thread-test-'))
  // The fixture lives outside the repository, so it names tsx and thread-body.ts by full URL.
  const tsx = createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs')
  const body = new URL('./thread-body.ts', import.meta.url)
  const source = `
    import { workerData } from 'node:worker_threads'
    import { register } from ${JSON.stringify(pathToFileURL(tsx).href)}
    register()
    const { serveTasks } = await import(${JSON.stringify(body.href)})
    await serveTasks(() => {
      if (workerData === 'cannot load') throw new Error('no model here')
      return (task) => {
        if (task === 'exit') process.exit(3)
        if (task === 'bad') throw new Error('a bad task')
        if (task === 'throw while idle') setTimeout(() => { throw new Error('boom') }, 10)
        return 'done: ' + task
      }
    })
  `
  entry = pathToFileURL(path.join(dir, 'fixture.mjs'))
  await writeFile(entry, source)
})
afterEach(async () => {
  await Promise.all(threads.splice(0).map((thread) => thread.close()))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function start(workerData = 'ok'): Promise<WorkerThread<string, string>> {
  const thread = await WorkerThread.start<string, string>(entry, workerData, 'test')
  threads.push(thread)
  return thread
}

const death = (thread: WorkerThread<string, string>) =>
  new Promise<string>((resolve) => thread.onDeath(resolve))

describe('WorkerThread', () => {
  it('answers tasks by id; a task that throws fails alone and the thread stays up', async () => {
    const thread = await start()
    const answers = await Promise.allSettled([thread.run('a'), thread.run('bad'), thread.run('b')])
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : a.reason.message))).toEqual([
      'done: a',
      'a bad task',
      'done: b',
    ])
    expect(thread.alive).toBe(true)
  })

  it('tells the task it was running from those queued behind it when it dies', async () => {
    const thread = await start()
    const [ran, queued] = await Promise.allSettled([thread.run('exit'), thread.run('a')])
    expect([ran, queued].map((r) => r.status === 'rejected' && r.reason.running)).toEqual([
      true,
      false,
    ])
  })

  it('fails the task it held with ThreadDiedError when the thread exits, and says why', async () => {
    const thread = await start()
    const died = death(thread)
    const held = thread.run('exit')
    await expect(held).rejects.toBeInstanceOf(ThreadDiedError)
    await expect(held).rejects.toThrow('the test thread died (exited with code 3)')
    expect(await died).toBe('exited with code 3')
    expect(thread.alive).toBe(false)
    await expect(thread.run('a')).rejects.toBeInstanceOf(ThreadDiedError)
  })

  it('hears an uncaught error while idle as a death, with its message', async () => {
    const thread = await start()
    const died = death(thread)
    expect(await thread.run('throw while idle')).toBe('done: throw while idle')
    expect(await died).toBe('boom')
    expect(thread.alive).toBe(false)
  })

  it('rejects the start of a thread that cannot load, with why', async () => {
    await expect(start('cannot load')).rejects.toThrow('no model here')
  })
})
