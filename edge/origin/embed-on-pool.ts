/**
 * Sends one request's misses to the pool: each input goes to its rendezvous
 * node, each node is called with its inputs in parts that fit one of its
 * batches (MAX_BATCH_TOKENS, by a safe token bound; two parts in flight at a
 * time, at most 32 parts), each told what the request's MAX_REQUEST_TOKENS
 * leaves it (token-ledger.ts), and inputs whose
 * node failed in a way that allows it are retried on their next node, within
 * one time budget (NODE_TIMEOUT_MS). Input errors (400/413/422) are never
 * retried; a timeout is not either, since it spent the budget, and it counts
 * against the node's breaker only if the node's /ready does not answer: a
 * large request legitimately taking long is not the node's fault.
 *
 * The README's request walk: step 9.
 */
import { ApiError } from '../../shared/errors.ts'
import { digestOfKey } from '../../shared/cache-key.ts'
import type { ModelInput } from '../../shared/node-protocol.ts'
import {
  NodeFailure,
  embedOnNode,
  unavailable,
  type FailureKind,
  type NodeEmbedding,
} from './node-client.ts'
import type { NodePool, PoolNode } from './node-pool.ts'
import type { TokenLedger } from './token-ledger.ts'
import type { Place } from './place.ts'

/**
 * Tries per input in each GPU region: its first node there and up to two others. An input
 * that has had them all in one region moves on to the next nearest, so a region of many
 * nodes that is down or full cannot use up its tries before another region is asked.
 */
const MAX_ATTEMPTS = 3

export interface PoolItem {
  /** The cache key: what rendezvous hashing places. */
  key: string
  input: ModelInput
  /** Its position in the client's request, so a node's `input[i]` error names the client's index. */
  index: number
}

export interface PoolVector {
  vector: Float32Array
  tokens: number
  /** Revision of the model that computed it. */
  revision: string
  /** False when the node that computed it reported drift: the vector is answered, never cached. */
  cacheable: boolean
}

/**
 * A node's error about input j of its call, as the client's error about items[j]'s input; an
 * index the call did not have (a node's bug) names no input rather than a wrong one.
 */
function inClientTerms(error: ApiError, items: PoolItem[]): ApiError {
  if (error.inputIndex === null) return error
  const item = items[error.inputIndex]
  return item ? error.forInput(item.index) : error.forRequest()
}

/** A request's vectors, and the nodes that computed them. */
export interface PoolAnswer {
  vectors: Map<string, PoolVector>
  /** Each node that answered a call, with its longest call in ms (for Server-Timing). */
  servedBy: Map<PoolNode, number>
}

/** What a request's node calls carry besides its inputs. */
export interface PoolRequest {
  model: string
  items: PoolItem[]
  truncate: boolean
  /** The tenant's fairness tag and cache scope tag (EmbedRequest.tenant, .cache_scope). */
  tenant: string
  cacheScope: string
  /** At most how many tokens an item can have (edge/embeddings/token-bounds.ts). */
  tokensAtMost: (item: PoolItem) => number
  /** The request's MAX_REQUEST_TOKENS, shared out among its calls as they go. */
  tokens: TokenLedger
  /** Where the caller is: regions are tried in region-order.ts's order from there; null if unknown. */
  from: Place | null
}

/** A node's MAX_BATCH_TOKENS when its /info has not said (the node's own default). */
const DEFAULT_NODE_BATCH_TOKENS = 16_384
/** Parts of one request a node is sent at once; the rest follow as those are answered. */
const PARTS_IN_FLIGHT = 2
/**
 * Parts one node's share of a request is split into, at most: each is a subrequest of the
 * worker's invocation, which the platform bounds. Past it, parts grow beyond one batch.
 */
const MAX_PARTS_PER_NODE = 32

/**
 * One node's items as calls that can each fit one batch of that node: a lone request of any
 * size never reaches a node as one call to run at once, and the node's fair queue sees its
 * parts as they come. An item that alone may pass the bound is a call of its own.
 */
function splitForNode(items: PoolItem[], node: PoolNode, request: PoolRequest): PoolItem[][] {
  const total = items.reduce((sum, item) => sum + request.tokensAtMost(item), 0)
  const budget = Math.max(
    node.maxBatchTokens ?? DEFAULT_NODE_BATCH_TOKENS,
    Math.ceil(total / MAX_PARTS_PER_NODE),
  )
  const calls: PoolItem[][] = []
  let call: PoolItem[] = []
  let tokens = 0
  for (const item of items) {
    const most = request.tokensAtMost(item)
    if (call.length > 0 && tokens + most > budget) {
      calls.push(call)
      call = []
      tokens = 0
    }
    call.push(item)
    tokens += most
  }
  if (call.length > 0) calls.push(call)
  return calls
}

export async function embedOnPool(
  pool: NodePool,
  request: PoolRequest,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<PoolAnswer> {
  const { model, truncate } = request
  // The pool's health checks and breaker probes ride on the requests that send it work: an
  // isolate answering every request from the cache (or listing models) sends the nodes nothing.
  pool.maintain(waitUntil)
  const deadline = Date.now() + pool.config.timeoutMs
  const results = new Map<string, PoolVector>()
  const servedBy = new Map<PoolNode, number>()
  const tried = new Map<string, Set<PoolNode>>()
  let pending = request.items
  /** The first failure of each kind, to tell the client the most useful one. */
  const failures = new Map<FailureKind, NodeFailure>()

  const maxAttempts = MAX_ATTEMPTS * pool.config.regions.length
  for (let attempt = 0; attempt < maxAttempts && pending.length > 0; attempt++) {
    if (!pool.canServe(model)) await pool.probeRecovering(model, waitUntil)
    const groups = new Map<PoolNode, PoolItem[]>()
    const unplaced: PoolItem[] = []
    // Once per attempt, not per input: it reads every node's estimate.
    const regions = pool.regionsFor(request.from)
    for (const item of pending) {
      const seen = tried.get(item.key) ?? new Set()
      const triesIn = (node: PoolNode) => [...seen].filter((n) => n.region === node.region).length
      const node = pool
        .candidates(model, item.key, Date.now(), regions)
        .find((n) => !seen.has(n) && triesIn(n) < MAX_ATTEMPTS)
      if (!node) unplaced.push(item)
      else if (groups.has(node)) groups.get(node)!.push(item)
      else groups.set(node, [item])
    }
    if (groups.size === 0) break

    const failed: PoolItem[] = []
    /** Nodes that failed in this attempt: their other parts are not sent, nor counted again. */
    const down = new Set<PoolNode>()
    const callPart = async (node: PoolNode, items: PoolItem[]) => {
      for (const item of items) tried.set(item.key, (tried.get(item.key) ?? new Set()).add(node))
      if (down.has(node)) return void failed.push(...items)
      const remainingMs = deadline - Date.now()
      // Throws the request's 400 when what is left of MAX_REQUEST_TOKENS cannot take this part.
      const ledger = request.tokens.open(items)
      let answer: NodeEmbedding
      const started = performance.now()
      const sentAt = Date.now()
      try {
        if (remainingMs <= 0) throw timeUp(pool.config.timeoutMs)
        answer = await embedOnNode(
          node.url,
          pool.config.secret,
          {
            model,
            inputs: items.map((item) => item.input),
            // The digests the keys end with: the node keys its own cache by them.
            input_digests: items.map((item) => digestOfKey(item.key)),
            truncate,
            tenant: request.tenant,
            cache_scope: request.cacheScope,
            max_tokens: ledger.maxTokens,
          },
          remainingMs,
        )
      } catch (err) {
        ledger.abandon()
        if (!(err instanceof NodeFailure)) {
          throw err instanceof ApiError ? inClientTerms(err, items) : err
        }
        if (!down.has(node)) {
          down.add(node)
          if (err.kind === 'overloaded') pool.rest(node, err.retryAfterSeconds)
          else if (err.kind === 'model-not-served') pool.forgetModel(node, model)
          else if (err.kind === 'timeout') waitUntil(pool.judgeTimeout(node))
          else pool.recordFailure(node)
        }
        if (err.kind === 'timeout') throw err.clientError
        // Kept to tell the client if no node can do better: in the client's terms (a broken
        // vector names its input).
        if (!failures.has(err.kind)) {
          const inTerms = inClientTerms(err.clientError, items)
          failures.set(err.kind, new NodeFailure(err.kind, inTerms, err.retryAfterSeconds))
        }
        failed.push(...items)
        return
      }
      ledger.close(answer.tokenCounts)
      const tookMs = performance.now() - started
      servedBy.set(node, Math.max(servedBy.get(node) ?? 0, tookMs))
      pool.recordSuccess(node, { sentAt, inputs: items.length, networkMs: answer.networkMs })
      items.forEach((item, i) =>
        results.set(item.key, {
          vector: answer.vectors[i],
          tokens: answer.tokenCounts[i],
          revision: answer.revision,
          cacheable: !answer.drifted,
        }),
      )
    }
    // Each node gets its share in parts, PARTS_IN_FLIGHT at a time: a part arriving while the
    // node's queue holds the request's earlier parts would be refused as over capacity.
    await Promise.all(
      [...groups].map(async ([node, items]) => {
        const parts = splitForNode(items, node, request)
        const lane = async () => {
          for (let part = parts.shift(); part; part = parts.shift()) await callPart(node, part)
        }
        await Promise.all(Array.from({ length: PARTS_IN_FLIGHT }, lane))
      }),
    )
    pending = [...failed, ...unplaced]
  }

  if (pending.length === 0) return { vectors: results, servedBy }
  throw finalError(model, failures, pool)
}

/** What the client hears when some inputs found no node: a deployment fault first, then capacity. */
function finalError(
  model: string,
  failures: Map<FailureKind, NodeFailure>,
  pool: NodePool,
): ApiError {
  const misconfigured = failures.get('misconfigured')
  if (misconfigured) return misconfigured.clientError
  if (failures.has('overloaded') || pool.isResting(model)) {
    return unavailable('every inference node for this model is at capacity; retry shortly', {
      'retry-after': String(pool.secondsUntilRested(model)),
    })
  }
  const other = failures.values().next().value
  if (other) return other.clientError
  return unavailable(
    `no inference node for the model '${model}' is reachable; cached inputs are still served`,
  )
}

function timeUp(timeoutMs: number): NodeFailure {
  return new NodeFailure(
    'timeout',
    new ApiError(504, `the inference nodes did not answer within ${timeoutMs} ms`, {
      code: 'origin_timeout',
    }),
  )
}
