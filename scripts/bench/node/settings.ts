/**
 * Every bound and knob of `npm run bench:node`, read once from the environment, so a run can be
 * made shorter (a smoke run) or longer (a quiet machine) without editing code.
 */
import os from 'node:os'

function positive(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a number ≥ 0, got '${raw}'`)
  return value
}

function list(name: string, fallback: number[]): number[] {
  const raw = process.env[name]
  if (!raw) return fallback
  const values = raw.split(',').map(Number)
  if (values.some((v) => !Number.isInteger(v) || v < 1))
    throw new Error(`${name} must be a comma-separated list of positive integers, got '${raw}'`)
  return values
}

export interface BenchSettings {
  /** Concurrent clients per cell. */
  clients: number[]
  /**
   * Rounds per model: every contender and the ceiling are measured once per round, in an order
   * that rotates, so drift in the machine's speed spreads over all of them (each figure is
   * reported as min, median and max over rounds). The 0.6B shape's cells take minutes, so it
   * has its own count.
   */
  rounds: number
  largeRounds: number
  /**
   * Default model: each cell stops issuing requests after this many seconds or requests, in
   * total over its rounds (each round gets its share).
   */
  seconds: number
  requests: number
  /** Default model: requests still running this long after a cell stopped issuing are cut. */
  drainSeconds: number
  /**
   * 0.6B-shaped model: a cell sends at most max(clients, largeRequests / largeRounds) requests
   * per round, issued within largeSeconds / largeRounds.
   */
  largeRequests: number
  largeSeconds: number
  /** 0.6B-shaped model: requests still running this long after a cell's round began are cut. */
  largeDeadlineSeconds: number
  /** Skip the 0.6B-shaped model entirely (a quick run on the default model only). */
  skipLarge: boolean
  /** Unmeasured load before each server's cells, so no cell pays for first-run costs. */
  warmupSeconds: number
  /** Per batch size and round, how long the ceiling runs; per size, the MatMul probe (once). */
  ceilingSeconds: number
  /** The same on the 0.6B-shaped model, where one batch may take seconds. */
  largeCeilingSeconds: number
  /** One request may take this long before it counts as an error. */
  requestTimeoutMs: number
  /**
   * onnxruntime settings for the node and every baseline alike (session-options.ts): intra-op
   * threads (0 = the node's default, every core), inter-op threads (0 = onnxruntime's choice)
   * and whether idle intra-op threads spin (off, the node's default).
   */
  intraOpThreads: number
  interOpThreads: number
  intraOpSpinning: boolean
  /**
   * The simulated-device section (simulated.ts): its client counts, rounds, and per cell and
   * round at most simSeconds or simRequests; skipSim leaves it out.
   */
  simClients: number[]
  simRounds: number
  simSeconds: number
  simRequests: number
  skipSim: boolean
}

export function readSettings(): BenchSettings {
  const settings: BenchSettings = {
    clients: list('BENCH_CLIENTS', [1, 8, 64]),
    rounds: Math.max(1, Math.round(positive('BENCH_ROUNDS', 3))),
    largeRounds: Math.max(1, Math.round(positive('BENCH_LARGE_ROUNDS', 2))),
    seconds: positive('BENCH_SECONDS', 6),
    requests: positive('BENCH_REQUESTS', 10_000),
    drainSeconds: positive('BENCH_DRAIN_SECONDS', 30),
    largeRequests: positive('BENCH_LARGE_REQUESTS', 16),
    largeSeconds: positive('BENCH_LARGE_SECONDS', 20),
    largeDeadlineSeconds: positive('BENCH_LARGE_DEADLINE_SECONDS', 90),
    skipLarge: process.env.BENCH_SKIP_LARGE === '1',
    warmupSeconds: positive('BENCH_WARMUP_SECONDS', 1.5),
    ceilingSeconds: positive('BENCH_CEILING_SECONDS', 2),
    largeCeilingSeconds: positive('BENCH_LARGE_CEILING_SECONDS', 8),
    requestTimeoutMs: positive('BENCH_REQUEST_TIMEOUT_MS', 300_000),
    intraOpThreads: positive('BENCH_INTRA_OP_THREADS', 0),
    interOpThreads: positive('BENCH_INTER_OP_THREADS', 0),
    intraOpSpinning: process.env.BENCH_INTRA_OP_SPINNING === '1',
    simClients: list('BENCH_SIM_CLIENTS', [1, 8, 64, 256]),
    simRounds: Math.max(1, Math.round(positive('BENCH_SIM_ROUNDS', 2))),
    simSeconds: positive('BENCH_SIM_SECONDS', 4),
    simRequests: positive('BENCH_SIM_REQUESTS', 20_000),
    skipSim: process.env.BENCH_SKIP_SIM === '1',
  }
  // workload.ts gives each round's client count its own million texts, for up to 16 counts
  // and 50 rounds; past that a cell would send texts another already sent, and the node's
  // vector cache would answer them.
  if (settings.clients.length > 16) throw new Error('BENCH_CLIENTS: at most 16 client counts')
  // The simulated section's tenants cell sends the 16th level's texts (simulated.ts).
  if (settings.simClients.length > 15)
    throw new Error('BENCH_SIM_CLIENTS: at most 15 client counts')
  if (settings.simRequests > 1_000_000) throw new Error('BENCH_SIM_REQUESTS: at most 1,000,000')
  if (Math.max(settings.rounds, settings.largeRounds, settings.simRounds) > 50)
    throw new Error('BENCH_ROUNDS and BENCH_LARGE_ROUNDS: at most 50')
  if (settings.requests > 1_000_000) throw new Error('BENCH_REQUESTS: at most 1,000,000')
  return settings
}

/** Cores the machine reports, printed next to the figures (they mean little without it). */
export const CORES = os.availableParallelism()
