/**
 * Starts the sessions the configuration asks for: one per CUDA device that
 * loads, or, when none does, `cpuSessions` on the CPU. The CPU build of
 * onnxruntime-node has no CUDA provider, so on such hosts a log line says the
 * node runs on CPU.
 *
 * Which precision variant of the folder is served follows the device:
 * `MODEL_VARIANT` when set, else fp16 when a CUDA session loads and fp32 on
 * the CPU (variants.ts). All sessions serve the same variant, so one
 * revision describes every vector the node returns.
 *
 * A session whose thread dies is started again on its own
 * (session-worker-backend.ts); `sessionsDown` is the answer meanwhile when
 * none runs.
 */
import type { ApiError } from '../../shared/errors.ts'
import type { ProviderSpec, SessionConfig } from '../config.ts'
import { providerLabel } from '../config.ts'
import { serveVariant, type ModelFolder, type ServedModel } from '../model/model-folder.ts'
import { chooseVariant, type ModelVariant } from '../model/variants.ts'
import { cudaProviderInstalled, type SessionSettings } from './onnx-session.ts'
import { retryable, type Supervision } from '../threads/restarting-thread.ts'
import { SessionWorkerBackend } from './session-worker-backend.ts'

export interface StartedSessions {
  backends: SessionWorkerBackend[]
  /** The variant the sessions serve, with its manifest. */
  model: ServedModel
}

export async function startSessions(
  folder: ModelFolder,
  requested: ModelVariant | undefined,
  config: SessionConfig,
  log: (line: string) => void = console.log,
  restarts: Omit<Supervision, 'log'> = {},
): Promise<StartedSessions> {
  const supervision: Supervision = { log, ...restarts }
  const settings = {
    intraOpThreads: config.intraOpThreads,
    interOpThreads: config.interOpThreads,
    intraOpSpinning: config.intraOpSpinning,
    graphOptimizationLevel: config.graphOptimizationLevel,
    cpuSessions: config.cpuSessions,
  }
  const modelFor = (device: 'gpu' | 'cpu') => {
    const choice = chooseVariant(folder.variants, device, requested)
    return { model: serveVariant(folder, choice.variant), fallback: choice.fallback }
  }
  const simulated = config.executionProviders.filter((spec) => spec.name === 'sim')
  if (simulated.length > 0)
    return startSimulated(folder, requested, simulated, settings, supervision)
  const cudaSpecs = config.executionProviders.filter((spec) => spec.name === 'cuda')
  const failures: string[] = []
  // A GPU variant the folder cannot serve (say, model_fp16.onnx without its data file) must not
  // stop a host whose CPU can serve fp32: it is one more reason to fall back.
  let gpu: ReturnType<typeof modelFor> | null = null
  if (cudaSpecs.length > 0 && !cudaProviderInstalled()) {
    failures.push(
      'this onnxruntime-node install has no CUDA provider (a GPU host adds it with `npm run cuda:install`)',
    )
  } else if (cudaSpecs.length > 0) {
    try {
      gpu = modelFor('gpu')
    } catch (err) {
      failures.push(`the GPU variant cannot be served: ${(err as Error).message}`)
    }
  }
  if (gpu) {
    const { model } = gpu
    const loaded = await Promise.all(
      cudaSpecs.map((spec) =>
        startBackend(model, spec, settings, supervision).catch(
          (err: Error) => `${providerLabel(spec)} unavailable: ${err.message}`,
        ),
      ),
    )
    const gpus = loaded.filter((result) => typeof result !== 'string')
    failures.push(...loaded.filter((result) => typeof result === 'string'))
    if (gpus.length > 0) {
      if (failures.length > 0) log(`[node] execution provider fallback: ${failures.join('; ')}`)
      if (gpu.fallback) log(`[node] ${gpu.fallback}`)
      return { backends: gpus, model }
    }
  }
  if (failures.length > 0) log(`[node] execution provider fallback: ${failures.join('; ')}`)
  if (!config.executionProviders.some((spec) => spec.name === 'cpu')) {
    throw new Error(`no execution provider could load ${folder.dir}: ${failures.join('; ')}`)
  }
  if (cudaSpecs.length > 0) log('[node] running on CPU')
  const { model, fallback } = modelFor('cpu')
  if (fallback) log(`[node] ${fallback}`)
  // Several CPU sessions get numbered labels (cpu#0, cpu#1) so metrics tell them apart.
  const label = (i: number) => (config.cpuSessions > 1 ? `cpu#${i}` : 'cpu')
  const backends = await Promise.all(
    Array.from({ length: config.cpuSessions }, (_, i) =>
      startBackend(model, { name: 'cpu' }, settings, supervision, label(i)).catch((err: Error) => {
        throw new Error(`${label(i)}: ${err.message}`, { cause: err })
      }),
    ),
  )
  return { backends, model }
}

/**
 * One session thread per `sim:` entry, each a SIMULATED device (simulated-device.ts) that runs
 * no model. The folder still gives the manifest and tokenizer; the revision is marked, so the
 * stand-in vectors are never cached as the model's own.
 */
async function startSimulated(
  folder: ModelFolder,
  requested: ModelVariant | undefined,
  specs: Extract<ProviderSpec, { name: 'sim' }>[],
  settings: SessionSettings,
  supervision: Supervision,
): Promise<StartedSessions> {
  const served = serveVariant(folder, chooseVariant(folder.variants, 'gpu', requested).variant)
  const presets = [...new Set(specs.map((spec) => spec.preset))].join('+')
  const model: ServedModel = {
    ...served,
    manifest: { ...served.manifest, revision: `${served.manifest.revision}+sim-${presets}` },
  }
  supervision.log(
    `[node] SIMULATED device${specs.length > 1 ? 's' : ''} (${specs.map(providerLabel).join(', ')}): ` +
      'no model runs; each batch waits for the preset cost model and answers stand-in vectors ' +
      `derived from token ids (revision ${model.manifest.revision}). For measuring the host path only.`,
  )
  const backends = await Promise.all(
    specs.map((spec) => startBackend(model, spec, settings, supervision)),
  )
  return { backends, model }
}

/** One session of `model` on `spec`, named `label` in logs and metrics. */
function startBackend(
  model: ServedModel,
  spec: ProviderSpec,
  settings: SessionSettings,
  supervision: Supervision,
  label = providerLabel(spec),
): Promise<SessionWorkerBackend> {
  return SessionWorkerBackend.start(
    model.onnxPath,
    model.manifest,
    spec,
    settings,
    label,
    supervision,
  )
}

/** The retryable 503 to answer while no session runs (all are being restarted); null while one does. */
export function sessionsDown(backends: SessionWorkerBackend[]): ApiError | null {
  if (backends.some((backend) => backend.alive)) return null
  const soonest = Math.min(...backends.map((backend) => backend.retryAfterSeconds))
  return retryable('no inference session is running: the node is restarting them', soonest)
}
