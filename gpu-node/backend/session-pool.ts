/**
 * Starts the sessions the configuration asks for: one per CUDA device that
 * loads, or, when none does, `cpuSessions` on the CPU. The CPU build of
 * onnxruntime-node has no CUDA provider, so on such hosts a log line says the
 * node runs on CPU.
 */
import type { SessionConfig } from '../config.ts'
import { providerLabel } from '../config.ts'
import type { ModelManifest } from '../model/manifest.ts'
import type { EmbeddingBackend } from './backend.ts'
import { SessionWorkerBackend } from './session-worker-backend.ts'

export async function startSessions(
  onnxPath: string,
  manifest: ModelManifest,
  config: SessionConfig,
  log: (line: string) => void = console.log,
): Promise<EmbeddingBackend[]> {
  const settings = {
    intraOpThreads: config.intraOpThreads,
    interOpThreads: config.interOpThreads,
    intraOpSpinning: config.intraOpSpinning,
    graphOptimizationLevel: config.graphOptimizationLevel,
    cpuSessions: config.cpuSessions,
  }
  const cudaSpecs = config.executionProviders.filter((spec) => spec.name === 'cuda')
  const loaded = await Promise.all(
    cudaSpecs.map((spec) =>
      SessionWorkerBackend.start(onnxPath, manifest, spec, settings).catch(
        (err: Error) => `${providerLabel(spec)} unavailable: ${err.message}`,
      ),
    ),
  )
  const gpus = loaded.filter((result) => typeof result !== 'string')
  const failures = loaded.filter((result) => typeof result === 'string')
  if (failures.length > 0) log(`[node] execution provider fallback: ${failures.join('; ')}`)
  if (gpus.length > 0) return gpus
  if (!config.executionProviders.some((spec) => spec.name === 'cpu')) {
    throw new Error(`no execution provider could load ${onnxPath}: ${failures.join('; ')}`)
  }
  if (cudaSpecs.length > 0) log('[node] running on CPU')
  // Several CPU sessions get numbered labels (cpu#0, cpu#1) so metrics tell them apart.
  const label = (i: number) => (config.cpuSessions > 1 ? `cpu#${i}` : 'cpu')
  return Promise.all(
    Array.from({ length: config.cpuSessions }, (_, i) =>
      SessionWorkerBackend.start(onnxPath, manifest, { name: 'cpu' }, settings, label(i)).catch(
        (err: Error) => {
          throw new Error(`${label(i)}: ${err.message}`, { cause: err })
        },
      ),
    ),
  )
}
