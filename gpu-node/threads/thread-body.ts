/**
 * The thread's side of worker-thread.ts: loads what the thread serves once,
 * says `ready` (or `failed`, with why), then answers each task by id. A task
 * that throws fails alone and the thread stays up; only a thread that dies
 * takes its tasks with it.
 */
import { parentPort, type Transferable } from 'node:worker_threads'
import type { ThreadReply, ThreadTask } from './worker-thread.ts'

export type TaskHandler<Task, Result> = (task: Task) => Result | Promise<Result>

/**
 * @param load builds the handler (loads the model or the tokenizer); a throw is the `failed` reply
 * @param transferOf the buffers of a result to move rather than copy
 */
export async function serveTasks<Task, Result>(
  load: () => TaskHandler<Task, Result> | Promise<TaskHandler<Task, Result>>,
  transferOf: (result: Result) => Transferable[] = () => [],
): Promise<void> {
  const port = parentPort!
  const reply = (message: ThreadReply<Result>, transfer: Transferable[] = []) =>
    port.postMessage(message, transfer)
  let handle: TaskHandler<Task, Result>
  try {
    handle = await load()
  } catch (err) {
    return reply({ type: 'failed', message: (err as Error).message })
  }
  port.on('message', async ({ id, task }: ThreadTask<Task>) => {
    try {
      const result = await handle(task)
      reply({ type: 'done', id, result }, transferOf(result))
    } catch (err) {
      reply({ type: 'error', id, message: (err as Error).message })
    }
  })
  reply({ type: 'ready' })
}
