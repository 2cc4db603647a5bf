/**
 * Test projects, by the runtime a part of the service runs in:
 * - node:    shared/ and gpu-node/ units, and the model scripts, in Node;
 * - workerd-unit: pure units of the edge (and shared/ again) inside real
 *            workerd, with no model converted and no node started;
 * - workerd: the edge worker inside real workerd, calling real inference
 *            nodes started by the project's global setup;
 * - workerd-short-window: the tenants' rate windows closing for real, in
 *            windows of a second, with no node started;
 * - e2e:     `npm start`'s own orchestration (real node + wrangler dev) driven
 *            by the official `openai` client.
 */
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

/** Edge tests that need no node, no KV and no Durable Object: pure functions and classes. */
const PURE_EDGE_TESTS = [
  'edge/config.test.ts',
  'edge/embeddings/embedding-json.test.ts',
  'edge/embeddings/embeddings-request.test.ts',
  'edge/embeddings/float32-json.test.ts',
  'edge/embeddings/projection.test.ts',
  'edge/isolate/isolate-memory.test.ts',
  'edge/limits/lease-policy.test.ts',
  'edge/limits/rate-window.test.ts',
  'edge/limits/usage-batch.test.ts',
  'edge/origin/circuit-breaker.test.ts',
  'edge/origin/region-order.test.ts',
  'edge/origin/rendezvous.test.ts',
  'edge/origin/token-ledger.test.ts',
]

/** Edge tests that watch a rate window close: they need windows short enough to wait for. */
const SHORT_WINDOW_TESTS = ['edge/limits/window-rollover.test.ts']

export default defineConfig({
  test: {
    // Vitest's default is one worker fewer than the cores: on a 2-core machine, one file at a
    // time, and the suite then used about one core. Most files wait on nodes, workerd and
    // sockets more than they compute, and every test waits on conditions, not clocks.
    maxWorkers: Math.max(2, availableParallelism()),
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: [
            'shared/**/*.test.ts',
            'gpu-node/**/*.test.ts',
            'test/default-model/**/*.test.ts',
            'test/tiny-qwen3/**/*.test.ts',
            'test/model-inspect/**/*.test.ts',
            'scripts/**/*.test.ts',
            'deploy/**/*.test.ts',
            'test/docs/**/*.test.ts',
            'test/layout/**/*.test.ts',
          ],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            main: './edge/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: { bindings: { NODE_SECRET: 'unit-tests-start-no-node' } },
          }),
        ],
        test: {
          name: 'workerd-unit',
          include: [...PURE_EDGE_TESTS, 'shared/**/*.test.ts'],
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: './edge/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                NODE_URL: inject('nodeUrl'),
                NODE_SECRET: inject('nodeSecret'),
                // Well past any request's pace on a loaded machine: a test that is not about
                // timeouts must not meet one. Timeout tests set their own short value.
                NODE_TIMEOUT_MS: '60000',
                // The harness waits for each request's waitUntil work: usage is sent at once, so
                // a test reads it from the Durable Object right after its requests.
                USAGE_FLUSH_MS: '0',
                // ...and for each lease it got, until the lease ends and what it left is given
                // back: a test's next request never finds the last one's lease, so what it counts
                // does not depend on when a lease ends. A short lease keeps that wait short.
                LEASE_TTL_MS: '100',
                // An hour: no window a test opens closes before the test has filled it, whatever
                // the machine's load. Tests close windows themselves
                // (test/support/end-rate-window.ts); the workerd-short-window project watches
                // them close on their own.
                RATE_WINDOW_MS: '3600000',
              },
            },
          })),
        ],
        test: {
          name: 'workerd',
          include: ['edge/**/*.test.ts'],
          exclude: [...PURE_EDGE_TESTS, ...SHORT_WINDOW_TESTS],
          globalSetup: ['test/setup/inference-node.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            main: './edge/index.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: { NODE_SECRET: 'short-window-tests-start-no-node', RATE_WINDOW_MS: '1000' },
            },
          }),
        ],
        test: {
          name: 'workerd-short-window',
          include: SHORT_WINDOW_TESTS,
          // Each wait is for a condition, capped far past the window: a loaded machine makes these
          // tests slower, never wrong.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts', 'eval/**/*.test.ts'],
          // One file at a time: several start services of their own (a 2.4 GB model, wrangler
          // dev) or drive hundreds of requests, and on 2 cores side by side they starved the
          // keys CLI's admin calls past its 30 s timeout.
          fileParallelism: false,
          globalSetup: ['test/setup/whole-service.ts'],
          testTimeout: 60_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
})
