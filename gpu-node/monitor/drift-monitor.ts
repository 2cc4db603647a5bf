/**
 * Drift of the node's vectors against a baseline: at warm-up the node embeds a
 * fixed probe set (probes.json, shipped with the project) and keeps those
 * vectors, unless MONITOR_BASELINE names a baseline saved on another host
 * (`npm run monitor:baseline`), so a new GPU host is compared with the one
 * that filled the cache. Every MONITOR_PROBE_INTERVAL_S it embeds the probes
 * again, past every cache, and compares:
 *
 * - probe distance: the largest cosine distance of a probe from its baseline;
 * - norm shift: how far the probes' mean pre-normalization norm moved, in
 *   baseline standard deviations;
 * - centroid distance: the live traffic's running centroid (vector-stats.ts)
 *   against the baseline probes' centroid. Traffic is not the probe set, so
 *   this one is reported but judges nothing unless a threshold is set.
 *
 * Past a threshold the state turns `drifted`: one log line with the figures,
 * `/info` says so, and the edge stops caching this node's vectors. A changed
 * model file, driver, execution provider or quantization shows up here before
 * it poisons every cache and index built from the vectors.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cosine } from '../../shared/cosine.ts'
import * as z from '../../shared/zod-mini.ts'
import type { NodeMetrics } from '../core/metrics.ts'
import type { VectorStats } from '../core/vector-stats.ts'

export const PROBES_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'probes.json')

export function loadProbes(): string[] {
  return z
    .object({ probes: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)) })
    .parse(JSON.parse(readFileSync(PROBES_FILE, 'utf8'))).probes
}

export const BaselineSchema = z
  .object({
    model: z.string(),
    revision: z.string(),
    /** Where it was taken, e.g. `cuda:0` or `cpu`. */
    sessions: z.array(z.string()),
    created: z.string(),
    probes: z.array(z.string()),
    /** Unit-length probe vectors, in probe order. */
    vectors: z.array(z.array(z.number())),
    /** Each probe's norm before normalization. */
    norms: z.array(z.number()),
  })
  .check(
    z.refine((b) => b.vectors.length === b.probes.length && b.norms.length === b.probes.length, {
      message: 'a baseline needs one vector and one norm per probe',
    }),
    z.refine((b) => b.norms.every((norm) => norm > 0), {
      message: 'a baseline with a NaN or zero probe vector would report drift forever',
    }),
  )
export type Baseline = z.infer<typeof BaselineSchema>

export interface DriftThresholds {
  /** MONITOR_MAX_PROBE_DISTANCE: largest cosine distance of a probe from its baseline. */
  maxProbeDistance: number
  /** MONITOR_MAX_NORM_SHIFT: mean probe norm shift, in baseline standard deviations. */
  maxNormShift: number
  /** MONITOR_MAX_CENTROID_DISTANCE: null judges nothing by the traffic centroid. */
  maxCentroidDistance: number | null
}

export interface DriftFigures {
  probe_distance: number
  norm_shift: number
  /** Null until traffic has been seen. */
  centroid_distance: number | null
}

export interface MonitorReport {
  state: 'ok' | 'drifted' | 'starting'
  model: string
  revision: string
  baseline: { revision: string; sessions: string[]; created: string; source: string } | null
  figures: DriftFigures | null
  thresholds: DriftThresholds
  checked_at: string | null
  /** Valid vectors the running statistics have seen. */
  vectors_seen: number
  /** Why the last probe run failed, if it did; the figures are then the previous run's. */
  last_error: string | null
  probe_interval_s: number
}

export type EmbedProbes = (texts: string[]) => Promise<{ vectors: Float32Array[]; norms: number[] }>

export class DriftMonitor {
  private baseline: Baseline | null = null
  private baselineSource = ''
  private figures: DriftFigures | null = null
  private checkedAt: string | null = null
  private timer: NodeJS.Timeout | undefined
  private drifted = false
  private lastError: string | null = null
  private checking = false

  constructor(
    private readonly model: { id: string; revision: string; sessions: string[] },
    private readonly embed: EmbedProbes,
    private readonly stats: VectorStats,
    private readonly thresholds: DriftThresholds,
    private readonly options: {
      probeIntervalS: number
      /** A saved baseline (MONITOR_BASELINE) to compare against instead of this node's own. */
      baselineFile?: string
      metrics?: NodeMetrics
      log?: (line: string) => void
      /** Told whenever the state turns drifted or back: the node cache must not mix the two. */
      onDriftChange?: (drifted: boolean) => void
    },
  ) {}

  get state(): MonitorReport['state'] {
    if (!this.baseline) return 'starting'
    return this.drifted ? 'drifted' : 'ok'
  }

  /** At warm-up: load or take the baseline, check once, and start the interval. */
  async start(): Promise<void> {
    const file = this.options.baselineFile
    if (file) {
      const baseline = BaselineSchema.parse(JSON.parse(readFileSync(file, 'utf8')))
      if (baseline.model !== this.model.id)
        throw new Error(
          `MONITOR_BASELINE ${file} is for model '${baseline.model}', not '${this.model.id}'`,
        )
      const base = (revision: string) => revision.replace(/\+[a-z0-9]+$/, '')
      if (base(baseline.revision) !== base(this.model.revision)) {
        this.options.log?.(
          `[node] MONITOR_BASELINE ${file} was taken from revision ${baseline.revision}, this node serves ${this.model.revision}: a changed model will report drift`,
        )
      }
      this.baseline = baseline
      this.baselineSource = file
    } else {
      this.baseline = await this.takeBaseline()
      this.baselineSource = 'taken at warm-up'
    }
    await this.check()
    const seconds = this.options.probeIntervalS
    if (seconds > 0) {
      this.timer = setInterval(() => void this.tick(), seconds * 1000)
      this.timer.unref()
    }
  }

  /** One scheduled check: skipped while the last one still runs; a failure is logged and kept. */
  private async tick(): Promise<void> {
    if (this.checking) return
    this.checking = true
    try {
      await this.check()
      this.lastError = null
    } catch (err) {
      this.lastError = (err as Error).message
      this.options.log?.(`[node] drift probes failed: ${this.lastError}`)
      this.options.metrics?.vectorProbeFailures.inc()
    } finally {
      this.checking = false
    }
  }

  /** Embeds the probe set now: what `npm run monitor:baseline` saves. */
  async takeBaseline(): Promise<Baseline> {
    const probes = loadProbes()
    const { vectors, norms } = await this.embed(probes)
    return {
      model: this.model.id,
      revision: this.model.revision,
      sessions: this.model.sessions,
      created: new Date().toISOString(),
      probes,
      vectors: vectors.map((vector) => Array.from(vector)),
      norms,
    }
  }

  /** Re-embeds the probes and updates the figures and the state. */
  async check(): Promise<DriftFigures> {
    const baseline = this.baseline
    if (!baseline) throw new Error('the drift monitor has no baseline yet')
    const { vectors, norms } = await this.embed(baseline.probes)
    if (vectors[0]?.length !== baseline.vectors[0]?.length)
      throw new Error(
        `the baseline's vectors are ${baseline.vectors[0]?.length}-d, this model's ${vectors[0]?.length}-d`,
      )
    // A probe that came out NaN or all zeros counts as distance 1: past any sensible threshold.
    const probeDistance = Math.max(
      ...vectors.map((vector, i) =>
        norms[i] > 0 ? cosineDistance(vector, baseline.vectors[i]) : 1,
      ),
    )
    const baseNorms = summary(baseline.norms)
    // Models that normalize inside the graph give nearly constant norms: a floor of 1e-4 of the
    // mean keeps float rounding from counting as drift.
    const normShift =
      Math.abs(summary(norms).mean - baseNorms.mean) /
      Math.max(baseNorms.std, 1e-4 * baseNorms.mean)
    const centroid = this.stats.count > 0 ? this.stats.centroid() : null
    const probeCentroid = meanVector(
      baseline.vectors.map((v, i) => v.map((x) => x * baseline.norms[i])),
    )
    const figures: DriftFigures = {
      probe_distance: probeDistance,
      norm_shift: normShift,
      centroid_distance: centroid ? cosineDistance(centroid, probeCentroid) : null,
    }
    const { maxProbeDistance, maxNormShift, maxCentroidDistance } = this.thresholds
    const drifted =
      figures.probe_distance > maxProbeDistance ||
      figures.norm_shift > maxNormShift ||
      (maxCentroidDistance !== null &&
        figures.centroid_distance !== null &&
        figures.centroid_distance > maxCentroidDistance)
    if (drifted && !this.drifted) {
      this.options.log?.(
        `[node] vectors drifted from the baseline (${this.baselineSource}, revision ${baseline.revision}): probe distance ${figures.probe_distance.toExponential(2)} (max ${maxProbeDistance}), norm shift ${figures.norm_shift.toFixed(2)} sd (max ${maxNormShift}); the edge stops caching this node's vectors`,
      )
    }
    if (drifted !== this.drifted) this.options.onDriftChange?.(drifted)
    this.drifted = drifted
    this.figures = figures
    this.checkedAt = new Date().toISOString()
    const metrics = this.options.metrics
    metrics?.vectorDrift.set({ figure: 'probe_distance' }, figures.probe_distance)
    metrics?.vectorDrift.set({ figure: 'norm_shift' }, figures.norm_shift)
    if (figures.centroid_distance !== null)
      metrics?.vectorDrift.set({ figure: 'centroid_distance' }, figures.centroid_distance)
    metrics?.vectorDrifted.set(drifted ? 1 : 0)
    return figures
  }

  report(): MonitorReport {
    const baseline = this.baseline
    return {
      state: this.state,
      model: this.model.id,
      revision: this.model.revision,
      baseline: baseline && {
        revision: baseline.revision,
        sessions: baseline.sessions,
        created: baseline.created,
        source: this.baselineSource,
      },
      figures: this.figures,
      thresholds: this.thresholds,
      checked_at: this.checkedAt,
      vectors_seen: this.stats.count,
      last_error: this.lastError,
      probe_interval_s: this.options.probeIntervalS,
    }
  }

  stop(): void {
    clearInterval(this.timer)
  }
}

/** 1 − cosine, at least 0; two vectors with nothing in common are 1 apart, opposite ones 2. */
function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return Math.max(0, 1 - cosine(a, b))
}

function summary(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length
  return { mean, std: Math.sqrt(variance) }
}

function meanVector(rows: number[][]): number[] {
  const mean = new Array<number>(rows[0].length).fill(0)
  for (const row of rows) row.forEach((x, i) => (mean[i] += x / rows.length))
  return mean
}
