/**
 * A drift baseline of the tiny Qwen3 under its own id, but taken from other
 * weights (another seed): a node serving the usual tiny Qwen3 against it sees
 * its probes far from the baseline and reports `drifted`, as a node would
 * whose model file was swapped under the same id. Made once per process by a
 * real node.
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startTestNode } from '../../scripts/dev/node-in-process.ts'
import { DEFAULT_SEED } from '../../scripts/tiny-qwen3/config.ts'
import { ensureTinyQwen3 } from '../../scripts/tiny-qwen3/generate.ts'

let made: Promise<string> | undefined

export function otherWeightsBaseline(): Promise<string> {
  made ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'other-weights-'))
    const folder = await ensureTinyQwen3(dir, { seed: DEFAULT_SEED + 1, log: () => {} })
    const node = await startTestNode(folder)
    try {
      const file = path.join(dir, 'baseline.json')
      await writeFile(file, JSON.stringify(await node.monitor.takeBaseline()))
      return file
    } finally {
      await node.close()
    }
  })()
  return made
}
