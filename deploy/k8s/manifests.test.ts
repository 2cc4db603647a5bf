/**
 * The Kubernetes manifests (deploy/k8s/), which cannot be applied here: each document is
 * validated against its kind's schema by kubernetes-models (and its KEDA and
 * prometheus-operator packages), and the documents are checked against each other and
 * against the node: its settings parse, its probes and drain fit, and the autoscaler reads a
 * metric the node exports.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1'
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
import { Deployment } from 'kubernetes-models/apps/v1'
import { Secret, Service } from 'kubernetes-models/v1'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { configFromEnv, REPO_ROOT } from '../../gpu-node/config.ts'
import { NodeMetrics } from '../../gpu-node/core/metrics.ts'
import { edgeConfig } from '../../edge/config.ts'

const DIR = path.join(REPO_ROOT, 'deploy/k8s')

/** Each kind the manifests use, by apiVersion and kind, with the model that validates it. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 Secret': Secret,
  'keda.sh/v1alpha1 ScaledObject': ScaledObject,
  'monitoring.coreos.com/v1 PodMonitor': PodMonitor,
}

interface Manifest {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any
  stringData?: Record<string, string>
}

const manifests: Manifest[] = readdirSync(DIR)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`)
      return doc.toJS() as Manifest
    }),
  )
const only = (kind: string) => {
  const found = manifests.filter((m) => m.kind === kind)
  expect(found).toHaveLength(1)
  return found[0]
}

function validate(manifest: Manifest): void {
  const Model = MODELS[`${manifest.apiVersion} ${manifest.kind}`]
  if (!Model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`)
  new Model(manifest as never).validate()
}

describe('the Kubernetes manifests', () => {
  it('are each valid for their kind', () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'Deployment',
      'PodMonitor',
      'ScaledObject',
      'Secret',
      'Service',
    ])
    for (const manifest of manifests) expect(() => validate(manifest)).not.toThrow()
  })

  it('fail validation when a field has the wrong type (the check has teeth)', () => {
    const broken = structuredClone(only('Deployment'))
    broken.spec.replicas = 'two'
    expect(() => validate(broken)).toThrow()
    const noPort = structuredClone(only('Service'))
    noPort.spec.ports = [{ name: 'http' }]
    expect(() => validate(noPort)).toThrow()
  })

  const deployment = () => only('Deployment')
  const container = () => deployment().spec.template.spec.containers[0]
  const envOf = () =>
    Object.fromEntries(
      container().env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    ) as Record<string, string | undefined>

  it('give each pod one GPU and CUDA only, with settings the node accepts', () => {
    expect(container().resources.limits['nvidia.com/gpu']).toBe('1')
    const config = configFromEnv({ ...envOf(), NODE_SECRET: 'x'.repeat(32) })
    expect(config.session.executionProviders.map((p) => p.name)).toEqual(['cuda'])
    expect(config.host).toBe('0.0.0.0')
    expect(container().ports[0].containerPort).toBe(config.port)
  })

  it('probe readiness on /ready and liveness on /health, liveness only once started', () => {
    expect(container().startupProbe.httpGet.path).toBe('/ready')
    expect(container().readinessProbe.httpGet.path).toBe('/ready')
    expect(container().livenessProbe.httpGet.path).toBe('/health')
  })

  it("give the node's SIGTERM drain the time it needs, after a preStop pause", () => {
    const [program, seconds] = container().lifecycle.preStop.exec.command
    expect(program).toBe('sleep')
    const drainSeconds = Number(envOf().SHUTDOWN_TIMEOUT_MS) / 1000
    expect(deployment().spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      Number(seconds) + drainSeconds,
    )
  })

  it('run the pod as the image user, not root, with a read-only root', () => {
    const image = readFileSync(path.join(REPO_ROOT, 'deploy/docker/node.Dockerfile'), 'utf8')
    const user = /^USER (\d+)$/m.exec(image)![1]
    expect(deployment().spec.template.spec.securityContext.runAsUser).toBe(Number(user))
    expect(container().securityContext.readOnlyRootFilesystem).toBe(true)
  })

  it('take the node secret and scrape token from the Secret, which has both', () => {
    const secret = only('Secret')
    const refs = container()
      .env.filter((e: { valueFrom?: unknown }) => e.valueFrom)
      .map((e: { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }) => [
        e.name,
        e.valueFrom.secretKeyRef,
      ])
    expect(refs.map(([name]: [string]) => name).sort()).toEqual(['NODE_SECRET', 'SCRAPE_TOKEN'])
    for (const [, ref] of refs) {
      expect(ref.name).toBe(secret.metadata.name)
      expect(Object.keys(secret.stringData!)).toContain(ref.key)
    }
    const monitor = only('PodMonitor')
    const auth = monitor.spec.podMetricsEndpoints[0].authorization.credentials
    expect([auth.name, auth.key]).toEqual([secret.metadata.name, 'SCRAPE_TOKEN'])
  })

  it("select the Deployment's pods from the Service and the PodMonitor, by a port it names", () => {
    const labels = deployment().spec.template.metadata.labels
    const portName = container().ports[0].name
    const service = only('Service')
    expect(labels).toMatchObject(service.spec.selector)
    expect(service.spec.ports[0].targetPort).toBe(portName)
    const monitor = only('PodMonitor')
    expect(labels).toMatchObject(monitor.spec.selector.matchLabels)
    expect(monitor.spec.podMetricsEndpoints[0].port).toBe(portName)
    expect(new Set(manifests.map((m) => m.metadata.namespace)).size).toBe(1)
  })

  it('scale the Deployment on a queue metric the node exports', async () => {
    const scaler = only('ScaledObject')
    expect(scaler.spec.scaleTargetRef.name).toBe(deployment().metadata.name)
    const query: string = scaler.spec.triggers[0].metadata.query
    const metric = /(te_[a-z_]+)\{/.exec(query)![1]
    const exported = await new NodeMetrics().registry.metrics()
    expect(exported).toMatch(new RegExp(`^# TYPE ${metric} gauge$`, 'm'))
    // The threshold per pod is below where the node starts refusing (MAX_QUEUED_TOKENS).
    const maxQueued = configFromEnv({ ...envOf(), NODE_SECRET: 'x'.repeat(32) }).batching
      .maxQueuedTokens
    expect(Number(scaler.spec.triggers[0].metadata.threshold)).toBeLessThan(maxQueued)
  })

  it("point the edge at one Service per region in a NODE_POOLS the edge accepts (docs/deploying.md's own example)", () => {
    const guide = readFileSync(path.join(REPO_ROOT, 'docs/deploying.md'), 'utf8')
    const pools = /NODE_POOLS = '''([\s\S]*?)'''/.exec(guide)![1]
    const config = edgeConfig({ NODE_POOLS: pools, NODE_SECRET: 'x'.repeat(32) }).pool
    expect(config.regions.map((region) => region.urls.length)).toEqual([1, 1])
    expect(config.regions.every((region) => region.place !== null)).toBe(true)
  })
})
