import { embedText } from './bench/node/client.ts'
import { runLoad } from './bench/node/load.ts'
import { workloadText } from './bench/node/workload.ts'
const target = { url: 'http://127.0.0.1:18888', secret: 'abcdefabcdefabcdefabcdef0123', model: 'qwen3-0.6b-shaped', timeoutMs: 30000 }
const seconds = Number(process.env.SECONDS ?? 8)
const base = Number(process.env.BASE ?? 100_000_000)
const r = await runLoad({ clients: 64, maxRequests: 1e6, maxSeconds: seconds, deadlineSeconds: 20 }, async (i, s) => void (await embedText(target, `q ${i}: ` + workloadText(base + i).slice(0, 80), s)))
console.log('rps', (r.completed.length / r.seconds).toFixed(0), r.errors, r.firstError)
