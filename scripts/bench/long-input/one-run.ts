/**
 * One long input through a fresh node (see main.ts): loads LONG_DIR, embeds LONG_TOKENS token ids
 * alone, prints one JSON line with the status, seconds and the process's peak resident memory.
 */
import { defaultMaxAttentionBytes } from '../../../gpu-node/config.ts'
import { decodeFrame } from '../../../shared/vector-codec.ts'
import { parseVariant } from '../../../gpu-node/model/variants.ts'
import { postEmbed } from '../../dev/signed-request.ts'
import { startTestNode } from '../../dev/node-in-process.ts'
import { statusKb } from '../proc.ts'

const peakMiB = () => statusKb('self', 'VmHWM') / 1024

const tokens = Number(process.env.LONG_TOKENS)
const node = await startTestNode(
  process.env.LONG_DIR!,
  {
    vectorCacheBytes: 0,
    // Both cores for the one session, as a node started with defaults has.
    session: { intraOpThreads: 0 },
    ...(process.env.MODEL_VARIANT ? { modelVariant: parseVariant(process.env.MODEL_VARIANT) } : {}),
    batching: {
      maxAttentionBytes: Number(process.env.MAX_ATTENTION_BYTES || defaultMaxAttentionBytes()),
    },
  },
  { log: () => {} },
)
const loadedMiB = peakMiB()
// Token ids skip tokenization, so the figure is the model's; 1000..: ordinary text-piece ids.
const ids = Array.from({ length: tokens - 1 }, (_, i) => 1000 + (i % 5000))
const started = performance.now()
const response = await postEmbed(node.app, {
  model: node.manifest.id,
  inputs: [{ ids }],
  truncate: false,
})
const seconds = (performance.now() - started) / 1000
const body = response.ok ? decodeFrame(await response.arrayBuffer()) : await response.json()
console.log(
  JSON.stringify({
    variant: node.served.variant,
    tokens,
    status: response.status,
    seconds: Number(seconds.toFixed(2)),
    peak_rss_mib: Math.round(peakMiB()),
    loaded_rss_mib: Math.round(loadedMiB),
    ...(response.ok
      ? { counted_tokens: (body as { tokenCounts: number[] }).tokenCounts[0] }
      : { error: (body as { error: { message: string } }).error.message }),
  }),
)
await node.close()
process.exit(0)
