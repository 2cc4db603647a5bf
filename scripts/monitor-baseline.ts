/**
 * `npm run monitor:baseline -- --out FILE`: embeds the drift probe set
 * (gpu-node/monitor/probes.json) with the model this host serves, configured
 * as the node is (MODEL_DIR, MODEL_VARIANT, EXECUTION_PROVIDERS, …), and
 * saves the vectors. Start other nodes with MONITOR_BASELINE=FILE and they
 * report drift against this host: a new GPU host is compared with the one
 * that filled the cache.
 */
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { configFromEnv } from '../gpu-node/config.ts'
import { loadNode } from '../gpu-node/load-node.ts'

const { values } = parseArgs({ options: { out: { type: 'string' } } })
if (!values.out) {
  console.error('usage: npm run monitor:baseline -- --out FILE   (MODEL_DIR etc. as for the node)')
  process.exit(2)
}
try {
  const config = configFromEnv({
    // The node's HMAC secret guards its HTTP endpoints, which this tool never opens.
    NODE_SECRET: 'unused-by-the-baseline-tool',
    ...process.env,
    MONITOR_PROBE_INTERVAL_S: '0',
    MONITOR_BASELINE: '',
  })
  const node = await loadNode(config, { log: (line) => console.error(line) })
  await node.warmUp()
  const baseline = await node.monitor.takeBaseline()
  await writeFile(values.out, `${JSON.stringify(baseline)}\n`)
  await node.close()
  console.log(
    `wrote the baseline of ${baseline.probes.length} probes for ${baseline.model}@${baseline.revision} on ${baseline.sessions.join(', ')} to ${values.out}`,
  )
  process.exit(0)
} catch (err) {
  console.error(`monitor:baseline: ${(err as Error).message}`)
  process.exit(1)
}
