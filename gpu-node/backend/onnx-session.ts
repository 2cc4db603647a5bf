/**
 * Creates the onnxruntime session on the first execution provider that loads.
 * The CPU build of onnxruntime-node has no CUDA provider, so on such hosts
 * `cuda` fails to load and a log line says the node runs on CPU.
 */
import * as ort from 'onnxruntime-node'
import type { ExecutionProviderName, NodeConfig } from '../config.ts'

export interface LoadedSession {
  session: ort.InferenceSession
  provider: ExecutionProviderName
}

type SessionSettings = Pick<
  NodeConfig,
  'executionProviders' | 'cudaDeviceId' | 'intraOpThreads' | 'interOpThreads'
>

function providerOption(name: ExecutionProviderName, settings: SessionSettings) {
  return name === 'cuda' ? { name: 'cuda', deviceId: settings.cudaDeviceId } : { name: 'cpu' }
}

export async function createSession(
  onnxPath: string,
  settings: SessionSettings,
): Promise<LoadedSession> {
  const failures: string[] = []
  for (const provider of settings.executionProviders) {
    try {
      const session = await ort.InferenceSession.create(onnxPath, {
        executionProviders: [providerOption(provider, settings)],
        graphOptimizationLevel: 'all',
        ...(settings.intraOpThreads > 0 ? { intraOpNumThreads: settings.intraOpThreads } : {}),
        ...(settings.interOpThreads > 0 ? { interOpNumThreads: settings.interOpThreads } : {}),
      })
      if (failures.length > 0) {
        console.warn(
          `[node] execution provider fallback: ${failures.join('; ')}; running on ${provider.toUpperCase()}`,
        )
      }
      return { session, provider }
    } catch (err) {
      failures.push(`${provider} unavailable (${(err as Error).message.split('\n')[0]})`)
    }
  }
  throw new Error(`no execution provider could load ${onnxPath}: ${failures.join('; ')}`)
}
