/**
 * What the workerd tests and the node fleet around them (test/setup/inference-node.ts,
 * test/support/node-fleet.ts, in Node) tell each other: the values the global setup provides
 * through vitest's `inject`, and the gate stats the fleet's control server answers. Types only,
 * and no Node code, so that both sides check against it: the workerd tests under Workers types
 * (tsconfig.workers.json), the setup under Node's (tsconfig.node.json).
 */

declare module 'vitest' {
  export interface ProvidedContext {
    nodeUrl: string
    nodeSecret: string
    stallingNodeUrl: string
    deadNodeUrl: string
    /** The node fleet's control server (test/support/node-control.ts calls it). */
    nodeControlUrl: string
    /** A text and its ids from the default model's own tokenizer (no special tokens). */
    sampleTokenIds: { text: string; ids: number[] }
  }
}

/** What a node's gate (test/support/node-gate.ts) has seen since its last reset. */
export interface GateStats {
  /** Embed calls forwarded since the last reset. */
  embedCalls: number
  /** Health checks (GET /ready) since the last reset. */
  readyCalls: number
  /** Every input of those calls, as `text:…` or `ids:1,2,3`, in arrival order (the last 10,000). */
  inputs: string[]
}
