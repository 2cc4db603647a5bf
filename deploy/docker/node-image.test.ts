/**
 * The node's container image (node.Dockerfile), checked without Docker, which this machine
 * lacks: parsed with dockerfile-ast, its settings read by the node's own configuration parser,
 * and its command and health check run for real, on the CPU, against a generated Qwen3 folder,
 * down to a SIGTERM drain that exits 0.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { DockerfileParser } from 'dockerfile-ast'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configFromEnv, REPO_ROOT } from '../../gpu-node/config.ts'
import { startInferenceNode } from '../../scripts/dev/inference-node-process.ts'
import { tinyQwen3Folder } from '../../test/support/tiny-qwen3-folder.ts'

const dockerfile = DockerfileParser.parse(
  readFileSync(path.join(REPO_ROOT, 'deploy/docker/node.Dockerfile'), 'utf8'),
)
const instructions = dockerfile.getInstructions()
const froms = dockerfile.getFROMs()
/** The final stage: what runs. */
const runtimeStart = instructions.indexOf(froms.at(-1)!)
const runtime = instructions.slice(runtimeStart)
const argsOf = (keyword: string) =>
  runtime
    .filter((instruction) => instruction.getKeyword() === keyword)
    .map((instruction) => instruction.getArguments().map((argument) => argument.getValue()))
/** An exec-form instruction's argv (`CMD ["a", "b"]`), after an optional leading word. */
const execForm = (content: string) => JSON.parse(content.replace(/^CMD\s+/, '')) as string[]

const imageEnv = Object.fromEntries(
  dockerfile
    .getENVs()
    .filter((env) => instructions.indexOf(env) > runtimeStart)
    .flatMap((env) => env.getProperties().map((p) => [p.getName(), p.getValue() ?? ''])),
)
const command = execForm(
  runtime.find((instruction) => instruction.getKeyword() === 'CMD')!.getArgumentsContent()!,
)
const healthcheck = execForm(
  runtime.find((instruction) => instruction.getKeyword() === 'HEALTHCHECK')!.getArgumentsContent()!,
)

describe('the node image', () => {
  it('runs on a CUDA 12 + cuDNN runtime, with the CUDA provider fetched at build time', () => {
    expect(froms.at(-1)!.getImage()).toMatch(/^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-/)
    const install = instructions
      .filter((instruction) => instruction.getKeyword() === 'RUN')
      .map((instruction) => instruction.getArgumentsContent() ?? '')
      .join('\n')
    expect(install).toMatch(/npm ci --omit=dev && npm run cuda:install/)
  })

  it('runs as a user that is not root, and serves the model folder from a volume', () => {
    const [user] = argsOf('USER').at(-1)!
    expect(user).toMatch(/^[1-9]\d*$/)
    expect(argsOf('VOLUME').flat()).toContain(imageEnv.MODEL_DIR)
  })

  it('copies only files that exist, and listens where the node is told to', () => {
    for (const copy of dockerfile.getCOPYs().filter((c) => !c.getFromFlag())) {
      const sources = copy
        .getArguments()
        .map((a) => a.getValue())
        .slice(0, -1)
      for (const source of sources) expect(existsSync(path.join(REPO_ROOT, source))).toBe(true)
    }
    expect(argsOf('EXPOSE').flat()).toEqual([imageEnv.NODE_PORT])
  })

  it("has settings the node's own configuration accepts, CUDA only", () => {
    const config = configFromEnv({ ...imageEnv, NODE_SECRET: 'x'.repeat(32) })
    expect(config.host).toBe('0.0.0.0')
    expect(config.session.executionProviders.map((p) => p.name)).toEqual(['cuda'])
  })

  describe('its command and health check, run here on the CPU', () => {
    let folder: Awaited<ReturnType<typeof tinyQwen3Folder>>
    beforeAll(async () => {
      folder = await tinyQwen3Folder()
    })
    afterAll(() => folder.remove())

    it('start a node the health check calls ready, which drains and exits 0 on SIGTERM', async () => {
      expect(command).toEqual(['node', '--import', 'tsx', 'gpu-node/main.ts'])
      // What the image sets, but on loopback, a free port, this model folder and the CPU.
      const { NODE_HOST, NODE_PORT, MODEL_DIR, ...rest } = imageEnv
      expect([NODE_HOST, NODE_PORT, MODEL_DIR]).toEqual(['0.0.0.0', '8081', '/models'])
      const node = await startInferenceNode({
        modelDir: folder.dir,
        secret: 'x'.repeat(32),
        env: { ...rest, EXECUTION_PROVIDERS: 'cpu' },
      })
      try {
        const port = new URL(node.url).port
        const [program, ...args] = healthcheck
        expect(program).toBe('node')
        const check = spawnSync(process.execPath, args, {
          env: { ...process.env, NODE_PORT: port },
        })
        expect(check.status).toBe(0)
        // And it fails when nothing listens there.
        const down = spawnSync(process.execPath, args, { env: { ...process.env, NODE_PORT: '9' } })
        expect(down.status).toBe(1)
      } finally {
        await node.stop()
      }
      expect(await node.exited).toEqual({ code: 0, signal: null })
    })
  })
})
