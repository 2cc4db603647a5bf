/**
 * `npm run bench:edge-memory`: the memory the edge's workerd takes for the
 * largest request it accepts: 2048 inputs in a body just under MAX_BODY_BYTES
 * (16 MiB), answered with float JSON at the model's full width, once computed
 * (every input a miss) and once from the isolate's cache. Two figures: the
 * edge isolate's own JS heap at its peak (V8's used heap, sampled through the
 * inspector: isolate-heap.ts), which is what the 128 MB isolate limit is
 * about; and the workerd process's peak resident memory (VmHWM, reset before
 * each request through /proc/<pid>/clear_refs) over its resident memory just
 * before: the whole process, so an upper bound.
 *
 * One workerd (the bundled worker under Miniflare) and one real node (default
 * model, 512 dimensions, CPU) on this machine's two cores, over loopback. Ends
 * in one JSON line. Linux only (/proc).
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../../../gpu-node/config.ts'
import { startBundledEdge } from '../../dev/bundled-edge.ts'
import { startInferenceNode } from '../../dev/inference-node-process.ts'
import { ensureDefaultModel } from '../../default-model/prepare.ts'
import { freePort } from '../../dev/service-process.ts'
import { procStat, statusKb } from '../proc.ts'
import { describeProvenance, provenance } from '../provenance.ts'
import { watchIsolateHeap } from './isolate-heap.ts'

const MODEL = 'use-lite-en'
const INPUTS = 2048
const BODY_LIMIT = 16 * 1024 * 1024
const MiB = 1024 * 1024

/** Processes descended from this one whose command is workerd. */
function workerdPids(): number[] {
  const parents = new Map<number, number>()
  const names = new Map<number, string>()
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid)) continue
    try {
      const { name, fields } = procStat(pid)
      parents.set(pid, Number(fields[1]))
      names.set(pid, name)
    } catch {
      // gone meanwhile
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p))
      if (p === process.pid) return true
    return false
  }
  return [...names]
    .filter(([pid, name]) => name.startsWith('workerd') && descends(pid))
    .map(([pid]) => pid)
}

const stamp = provenance()
console.log(`measured ${describeProvenance(stamp)}`)
const modelDir = await ensureDefaultModel(path.join(REPO_ROOT, 'models'), { log: () => {} })
const secret = randomBytes(24).toString('hex')
const inspectorPort = await freePort()
const node = await startInferenceNode({ modelDir, secret, env: { VECTOR_CACHE_BYTES: '0' } })
const apiKey = 'sk-bench-memory-0001'
const edge = await startBundledEdge({
  nodeUrls: [node.url],
  nodeSecret: secret,
  tenants: [
    { id: 'memory', apiKey, limits: { requests_per_minute: null, tokens_per_minute: null } },
  ],
  vars: { NODE_TIMEOUT_MS: '300000' },
  inspectorPort,
})
const post = (body: string) =>
  fetch(`${edge.url}/v1/embeddings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body,
  })

try {
  const [pid] = workerdPids()
  if (pid === undefined) throw new Error('no workerd process found under this one')
  await (await post(JSON.stringify({ model: MODEL, input: 'memory: warm up' }))).text()
  const heap = await watchIsolateHeap(inspectorPort)

  // Texts as long as the body limit allows, each different.
  const each = Math.floor((BODY_LIMIT - 64 * 1024) / INPUTS) - 16
  const input = Array.from({ length: INPUTS }, (_, i) => `${i} `.padEnd(each, ' memory bench text'))
  const body = JSON.stringify({ model: MODEL, input })
  const rows: Record<string, number | string>[] = []
  for (const label of ['2048 misses', '2048 hits']) {
    const before = statusKb(pid, 'VmRSS')
    const heapBefore = await heap.reset()
    writeFileSync(`/proc/${pid}/clear_refs`, '5') // reset the peak to the current RSS
    const started = performance.now()
    const response = await post(body)
    const text = await response.text()
    const seconds = (performance.now() - started) / 1000
    const peak = statusKb(pid, 'VmHWM')
    rows.push({
      request: label,
      status: response.status,
      body_mib: Number((body.length / MiB).toFixed(1)),
      answer_mib: Number((text.length / MiB).toFixed(1)),
      isolate_heap_before_mib: Number((heapBefore / MiB).toFixed(1)),
      isolate_heap_peak_mib: Number((heap.peak() / MiB).toFixed(1)),
      workerd_rss_before_mib: Number((before / 1024).toFixed(0)),
      workerd_peak_rise_mib: Number(((peak - before) / 1024).toFixed(0)),
      seconds: Number(seconds.toFixed(1)),
    })
    console.log(JSON.stringify(rows.at(-1)))
  }
  heap.close()
  console.log(
    "(one workerd and one node share the 2 cores; the isolate heap is V8's used JS heap of the " +
      "edge isolate, sampled every 5 ms through the inspector, without array buffers' backing " +
      'stores; the RSS rise is the whole workerd process, an upper bound)',
  )
  console.log(JSON.stringify({ provenance: stamp, edge_memory: rows }))
} finally {
  await edge.stop()
  await node.stop()
}
