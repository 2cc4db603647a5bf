/**
 * The scheduler's rules, with stand-in sessions: the scheduler's boundary is
 * the backend interface, and here the test decides when each batch finishes
 * (the real sessions are exercised through the node in admission.test.ts and
 * the model tests).
 */
import { describe, expect, it } from 'vitest'
import { BatchNotRunError, type EmbeddedBatch, type EmbeddingBackend } from '../backend/backend.ts'
import { retryable } from '../threads/restarting-thread.ts'
import { padBatch, type PaddedBatch } from '../backend/padded-batch.ts'
import {
  BatchScheduler,
  ClientGoneError,
  type InputJob,
  type JobOutcome,
} from './batch-scheduler.ts'
import { NodeMetrics } from './metrics.ts'

/** A stand-in session: records each batch's first token ids and finishes when told to. */
class StandInSession implements EmbeddingBackend {
  readonly batches: number[][] = []
  private finishers: ((fail?: Error) => void)[] = []
  alive = true

  constructor(readonly label: string) {}

  embed(batch: PaddedBatch): Promise<EmbeddedBatch> {
    const firsts = Array.from({ length: batch.rows }, (_, b) =>
      Number(batch.inputIds[b * batch.seq]),
    )
    this.batches.push(firsts)
    return new Promise((resolve, reject) => {
      this.finishers.push((fail) =>
        fail
          ? reject(fail)
          : resolve({
              vectors: firsts.map((id) => Float32Array.of(id)),
              norms: Float32Array.from(firsts, () => 1),
            }),
      )
    })
  }

  /** Finishes the oldest running batch. */
  finish(fail?: Error): void {
    this.finishers.shift()!(fail)
  }

  async close(): Promise<void> {}
}

const settings = {
  padding_side: 'right',
  pad_token_id: 0,
  graph: { position_ids: null, token_type_ids: null },
} as const

function schedulerWith(sessions: StandInSession[], maxBatchRequests = 8, maxBatchTokens = 1000) {
  const metrics = new NodeMetrics()
  const scheduler = new BatchScheduler(
    sessions,
    { maxBatchRequests, maxBatchTokens },
    (rows) => padBatch(rows, settings as never),
    metrics,
  )
  return { scheduler, metrics }
}

/** A job for an input whose first token is `id`, and the promise of its outcome. */
function job(id: number, length = 3, signal?: AbortSignal): [InputJob, Promise<JobOutcome>] {
  let done!: (outcome: JobOutcome) => void
  const outcome = new Promise<JobOutcome>((resolve) => (done = resolve))
  return [{ ids: Array.from({ length }, () => id), index: 0, signal, done }, outcome]
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('BatchScheduler', () => {
  it('gives an idle session work at once, with no timer', () => {
    const session = new StandInSession('s')
    const { scheduler } = schedulerWith([session])
    scheduler.submit([job(1)[0]])
    // Synchronously: submit handed the batch over before returning.
    expect(session.batches).toEqual([[1]])
  })

  it('keeps exactly one batch prepared while the session is busy, topping it up', async () => {
    const session = new StandInSession('s')
    const { scheduler } = schedulerWith([session])
    scheduler.submit([job(1)[0]])
    scheduler.submit([job(2)[0]])
    scheduler.submit([job(3)[0], job(4)[0]])
    // One batch running, one prepared with every input that arrived meanwhile.
    expect(session.batches).toEqual([[1]])
    expect(scheduler.queuedInputs).toBe(3)
    session.finish()
    await settle()
    expect(session.batches).toEqual([[1], [2, 3, 4]])
    expect(scheduler.queuedInputs).toBe(0)
  })

  it('sends one batch ahead to wait in a busy session once the queue holds more than it, and keeps one more prepared', async () => {
    const session = new StandInSession('s')
    const { scheduler } = schedulerWith([session], 2)
    scheduler.submit([1, 2, 3, 4, 5, 6, 7].map((id) => job(id)[0]))
    // One running, one waiting in the session's inbox, [5, 6] prepared here, 7 queued.
    expect(session.batches).toEqual([
      [1, 2],
      [3, 4],
    ])
    expect(scheduler.queuedInputs).toBe(5)
    session.finish()
    await settle()
    expect(session.batches).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ])
    // [7] alone is no backlog: it stays here, where later arrivals can still join it.
    session.finish()
    await settle()
    expect(session.batches).toHaveLength(3)
    expect(scheduler.queuedInputs).toBe(1)
    session.finish()
    await settle()
    expect(session.batches).toEqual([[1, 2], [3, 4], [5, 6], [7]])
  })

  it('queues again the inputs of a batch that never ran because its session died running the one before', async () => {
    const session = new StandInSession('s')
    const { scheduler } = schedulerWith([session], 2)
    const outcomes = [1, 2, 3, 4, 5].map((id) => job(id))
    scheduler.submit(outcomes.map(([input]) => input))
    expect(session.batches).toEqual([
      [1, 2],
      [3, 4],
    ])
    const died = retryable('the s session thread died while running this request', 1)
    session.finish(died)
    session.finish(new BatchNotRunError(died))
    await settle()
    expect(await outcomes[0][1]).toEqual({ error: died })
    // 3 and 4 are chosen again, ahead of 5 in fair order, and run.
    expect(session.batches.slice(2)).toEqual([[3, 4]])
    session.finish()
    expect(await outcomes[2][1]).toMatchObject({ vector: Float32Array.of(3) })
    expect(await outcomes[3][1]).toMatchObject({ vector: Float32Array.of(4) })
  })

  it('puts inputs back once only: a batch that again never runs fails with the 503', async () => {
    const session = new StandInSession('s')
    const { scheduler } = schedulerWith([session], 1)
    const outcomes = [1, 2].map((id) => job(id))
    scheduler.submit(outcomes.map(([input]) => input))
    const died = retryable('the s session thread died while running this request', 1)
    session.finish(died) // [1] ran and failed; [2] waited behind it and never ran
    session.finish(new BatchNotRunError(died))
    await settle()
    expect(session.batches.map((batch) => batch[0])).toEqual([1, 2, 2])
    session.finish(new BatchNotRunError(died))
    expect(await outcomes[1][1]).toEqual({ error: died })
    expect(session.batches).toHaveLength(3)
  })

  it('serves several sessions round-robin, each as soon as it is idle', async () => {
    const sessions = [new StandInSession('a'), new StandInSession('b')]
    const { scheduler } = schedulerWith(sessions, 1)
    scheduler.submit([job(1)[0]])
    sessions[0].finish()
    await settle()
    // Both idle now: the turn passes to the next session rather than back to the first.
    scheduler.submit([job(2)[0]])
    scheduler.submit([job(3)[0]])
    expect(sessions.map((s) => s.batches)).toEqual([[[1], [3]], [[2]]])
    // Both busy: a full batch (one input here) is sent ahead to the next session in turn.
    scheduler.submit([job(4)[0]])
    expect(sessions[1].batches).toEqual([[2], [4]])
  })

  it('drops inputs whose client has gone before they reach a session', async () => {
    const session = new StandInSession('s')
    const { scheduler, metrics } = schedulerWith([session])
    scheduler.submit([job(1)[0]])
    const leaving = new AbortController()
    const [gone, goneOutcome] = job(2, 3, leaving.signal)
    const [staying, stayingOutcome] = job(3)
    scheduler.submit([gone, staying])
    leaving.abort()
    session.finish()
    await settle()
    expect(session.batches).toEqual([[1], [3]])
    expect(await goneOutcome).toEqual({ error: expect.any(ClientGoneError) })
    session.finish()
    expect(await stayingOutcome).toMatchObject({ vector: Float32Array.of(3) })
    expect((await metrics.requestDropped.get()).values[0].value).toBe(1)
  })

  it('fails only the inputs of a failing batch and keeps serving', async () => {
    const session = new StandInSession('s')
    const { scheduler } = schedulerWith([session], 1)
    const [first, firstOutcome] = job(1)
    const [second, secondOutcome] = job(2)
    scheduler.submit([first])
    scheduler.submit([second])
    session.finish(new Error('out of memory'))
    expect(await firstOutcome).toEqual({ error: new Error('out of memory') })
    await settle()
    session.finish()
    expect(await secondOutcome).toMatchObject({ vector: Float32Array.of(2) })
  })

  it('answers 503 instead of queueing forever once no session is alive', async () => {
    const session = new StandInSession('s')
    session.alive = false
    const { scheduler } = schedulerWith([session])
    const [input, outcome] = job(1)
    scheduler.submit([input])
    expect(await outcome).toEqual({ error: expect.objectContaining({ status: 503 }) })
    expect(scheduler.queuedInputs).toBe(0)
  })

  it('records batch size, padded tokens and padding in the te_* metrics', async () => {
    const session = new StandInSession('s')
    const { scheduler, metrics } = schedulerWith([session])
    scheduler.submit([job(1, 2)[0], job(2, 6)[0]])
    session.finish()
    await settle()
    const tokens = await metrics.batchTokens.get()
    expect(tokens.values.find((v) => v.metricName === 'te_batch_next_tokens_sum')?.value).toBe(12)
    expect((await metrics.paddingTokens.get()).values[0].value).toBe(4)
  })
})
