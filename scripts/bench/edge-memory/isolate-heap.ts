/**
 * The edge isolate's own JS heap, read through workerd's V8 inspector (the
 * Chrome DevTools Protocol Miniflare opens on `inspectorPort`): what the
 * isolate holds in strings and objects, which is what its 128 MB limit is
 * about, apart from the rest of the process. Sampled while a request runs, for
 * its peak. Array buffers' backing stores (vectors) are outside the JS heap and
 * not counted.
 */
import WebSocket from 'ws'

interface Target {
  title: string
  webSocketDebuggerUrl: string
}

export interface HeapWatch {
  /** Collects garbage, then resets the peak to the heap in use now; returns it (bytes). */
  reset(): Promise<number>
  /** The highest heap in use seen since `reset`, sampling every `intervalMs`. */
  peak(): number
  close(): void
}

export async function watchIsolateHeap(inspectorPort: number, intervalMs = 5): Promise<HeapWatch> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Target[]
  const target = targets.find((t) => t.title.includes('edge')) ?? targets[0]
  if (!target) throw new Error('workerd lists no inspector target')
  const socket = new WebSocket(target.webSocketDebuggerUrl)
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  let nextId = 1
  const waiting = new Map<number, (result: Record<string, number>) => void>()
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, number> }
    if (message.id !== undefined) waiting.get(message.id)?.(message.result ?? {})
    if (message.id !== undefined) waiting.delete(message.id)
  })
  const call = (method: string) =>
    new Promise<Record<string, number>>((resolve) => {
      const id = nextId++
      waiting.set(id, resolve)
      socket.send(JSON.stringify({ id, method }))
    })
  let highest = 0
  let sampling = false
  const timer = setInterval(async () => {
    if (sampling) return
    sampling = true
    const { usedSize } = await call('Runtime.getHeapUsage')
    if (usedSize > highest) highest = usedSize
    sampling = false
  }, intervalMs)
  return {
    async reset() {
      await call('HeapProfiler.collectGarbage')
      const { usedSize } = await call('Runtime.getHeapUsage')
      highest = usedSize
      return usedSize
    },
    peak: () => highest,
    close() {
      clearInterval(timer)
      socket.close()
    },
  }
}
