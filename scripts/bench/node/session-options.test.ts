import { describe, expect, it } from 'vitest'
import { sessionOptions } from '../../../gpu-node/backend/onnx-session.ts'
import { configFromEnv } from '../../../gpu-node/config.ts'
import {
  benchSessionOptions,
  nodeEnv,
  resolveSessionSettings,
  sessionSettingsEnv,
  sessionSettingsFromEnv,
} from './session-options.ts'
import { CORES } from './settings.ts'

describe('bench:node gives every contender the same onnxruntime session options', () => {
  const cases = [
    { intraOpThreads: 0, interOpThreads: 0, intraOpSpinning: false },
    { intraOpThreads: 1, interOpThreads: 2, intraOpSpinning: true },
  ]

  it.each(cases)(
    'the node, started with the environment it is given, builds what the baselines use (%o)',
    (requested) => {
      const settings = resolveSessionSettings(requested)
      const node = configFromEnv({
        ...nodeEnv(settings),
        MODEL_DIR: '/nowhere',
        NODE_SECRET: 'x'.repeat(32),
      }).session
      const nodeBuilds = sessionOptions(node.executionProviders[0], node)
      const baselineServer = benchSessionOptions(
        sessionSettingsFromEnv(sessionSettingsEnv(settings)),
      )
      expect(baselineServer).toEqual(nodeBuilds)
    },
  )

  it('leaves nothing to a default that could differ: threads and spinning are explicit', () => {
    const options = benchSessionOptions(
      resolveSessionSettings({ intraOpThreads: 0, interOpThreads: 0, intraOpSpinning: false }),
    )
    expect(options.intraOpNumThreads).toBe(CORES)
    expect(options.extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } })
    expect(options.graphOptimizationLevel).toBe('all')
  })
})
