/**
 * What onnxruntime reaches on this machine on one plain MatMul of the size that dominates the
 * 0.6B-shaped model (tokens × 1024 by 1024 × 3072, its MLP up-projection): a one-node ONNX
 * graph, timed `session.run`. It puts the node's GFLOP/s in proportion: the share of what this
 * CPU does on the easiest possible work, in the same run and with the same session options.
 */
import * as ort from 'onnxruntime-node'
import { GraphBuilder } from '../../default-model/onnx-graph-builder.ts'

export interface MatmulPoint {
  m: number
  k: number
  n: number
  runs: number
  gflops: number
}

export interface MatmulPeak {
  points: MatmulPoint[]
  best: MatmulPoint
}

function oneMatmulModel(k: number, n: number): Uint8Array {
  const graph = new GraphBuilder()
  graph.input('a', 'float32', ['m', k])
  // Any fixed values do; a small LCG keeps the model the same from run to run.
  let state = 1
  const weights = Float32Array.from({ length: k * n }, () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32 - 0.5
  })
  graph.floats('b', [k, n], weights)
  graph.op('y', 'MatMul', ['a', 'b'])
  graph.output('y', 'float32', ['m', n])
  return graph.toBytes({
    graphName: 'matmul_peak',
    opset: 17,
    producerName: 'bench:node',
    producerVersion: '1',
    docString: 'One MatMul, for the peak GFLOP/s onnxruntime reaches here',
    metadata: {},
  })
}

export async function measureMatmulPeak(options: {
  k: number
  n: number
  rows: number[]
  secondsPerSize: number
  sessionOptions: ort.InferenceSession.SessionOptions
  log: (line: string) => void
}): Promise<MatmulPeak> {
  const { k, n } = options
  const session = await ort.InferenceSession.create(oneMatmulModel(k, n), options.sessionOptions)
  const points: MatmulPoint[] = []
  try {
    for (const m of options.rows) {
      const a = new ort.Tensor('float32', new Float32Array(m * k).fill(0.25), [m, k])
      await session.run({ a })
      let runs = 0
      const started = performance.now()
      do {
        await session.run({ a })
        runs++
      } while (performance.now() - started < options.secondsPerSize * 1000)
      const seconds = (performance.now() - started) / 1000
      const point = { m, k, n, runs, gflops: (2 * m * k * n * runs) / seconds / 1e9 }
      points.push(point)
      options.log(
        `MatMul [${m}×${k}]·[${k}×${n}]: ${runs} runs, ${point.gflops.toFixed(1)} GFLOP/s`,
      )
    }
  } finally {
    await session.release()
  }
  return { points, best: points.reduce((a, b) => (b.gflops > a.gflops ? b : a)) }
}
