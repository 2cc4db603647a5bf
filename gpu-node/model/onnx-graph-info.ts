/**
 * What an ONNX file's graph takes, returns and is made of, read without its
 * weights: the protobuf is walked field by field on disk and every
 * initializer is skipped by seeking past it, so a 2 GB file inline or a
 * 10 GB one with external data costs the same few kilobytes of reads. The
 * node reads tensor names, element types and shapes from here (as TEI reads a
 * model's config rather than asking for a manifest), and the attention
 * memory bound reads which attention the graph uses.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import onnxProto from 'onnx-proto'
import type { onnx as Onnx } from 'onnx-proto'

const { onnx } = onnxProto

/** The element types an embedding graph's inputs and outputs use, by onnxruntime's names. */
const ELEMENT_TYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  16: 'bfloat16',
}

export interface GraphTensor {
  name: string
  /** onnxruntime's name for the element type, e.g. `float32`, `float16`, `int64`. */
  type: string
  /** Fixed sizes as numbers, symbolic ones (`batch_size`) as strings. */
  shape: (number | string)[]
}

export interface GraphInfo {
  inputs: GraphTensor[]
  outputs: GraphTensor[]
  /** How many nodes of each operator, keyed `domain:op` (`:MatMul`, `com.microsoft:MatMulNBits`). */
  ops: Map<string, number>
  /** Files beside this one that hold its weights (ONNX external data), e.g. `model.onnx_data`. */
  externalFiles: string[]
}

// Field numbers from onnx.proto: ModelProto.graph = 7; GraphProto.node = 1, .initializer = 5,
// .input = 11, .output = 12.
const MODEL_GRAPH = 7
const GRAPH_NODE = 1
const GRAPH_INITIALIZER = 5
const GRAPH_INPUT = 11
const GRAPH_OUTPUT = 12
const TENSOR_NAME = 8
const TENSOR_EXTERNAL_DATA = 13

/** Reads the graph's interface and operators from `file`. Throws if it is not an ONNX model. */
export function readGraphInfo(file: string): GraphInfo {
  const fd = openSync(file, 'r')
  try {
    const reader = new FieldReader(fd)
    const graph = reader
      .fields(0, reader.size)
      .find((f) => f.number === MODEL_GRAPH && f.wire === 2)
    if (!graph) throw new Error(`${file} is not an ONNX model (it has no graph)`)
    const info: GraphInfo = { inputs: [], outputs: [], ops: new Map(), externalFiles: [] }
    const weights = new Set<string>()
    const external = new Set<string>()
    for (const field of reader.fields(graph.start, graph.end)) {
      if (field.wire !== 2) continue
      if (field.number === GRAPH_INITIALIZER) {
        // Only the name and the external-data entries are read; the weights are skipped.
        for (const part of reader.fields(field.start, field.end)) {
          if (part.number === TENSOR_NAME) weights.add(reader.text(part))
          if (part.number !== TENSOR_EXTERNAL_DATA) continue
          const entry = onnx.StringStringEntryProto.decode(reader.bytes(part))
          if (entry.key === 'location') external.add(entry.value)
        }
      } else if (field.number === GRAPH_NODE) {
        const node = onnx.NodeProto.decode(reader.bytes(field))
        const key = `${node.domain ?? ''}:${node.opType}`
        info.ops.set(key, (info.ops.get(key) ?? 0) + 1)
      } else if (field.number === GRAPH_INPUT || field.number === GRAPH_OUTPUT) {
        const tensor = graphTensor(onnx.ValueInfoProto.decode(reader.bytes(field)))
        ;(field.number === GRAPH_INPUT ? info.inputs : info.outputs).push(tensor)
      }
    }
    // Old exports list initializers among the inputs too; those are weights, not inputs to feed.
    info.inputs = info.inputs.filter((input) => !weights.has(input.name))
    info.externalFiles = [...external]
    return info
  } finally {
    closeSync(fd)
  }
}

/** True when the graph computes attention with one of onnxruntime's fused operators. */
export function fusedAttentionOp(info: GraphInfo): string | null {
  for (const op of ['GroupQueryAttention', 'MultiHeadAttention', 'Attention']) {
    if (info.ops.has(`com.microsoft:${op}`)) return op
  }
  return null
}

function graphTensor(value: Onnx.ValueInfoProto): GraphTensor {
  const tensor = value.type?.tensorType
  const shape = (tensor?.shape?.dim ?? []).map((dim) =>
    dim.dimParam ? dim.dimParam : dim.dimValue != null ? Number(dim.dimValue) : '?',
  )
  const type = ELEMENT_TYPES[tensor?.elemType ?? 0] ?? `onnx type ${tensor?.elemType ?? '?'}`
  return { name: value.name, type, shape }
}

interface Field {
  number: number
  wire: number
  /** Where the value starts and ends (for length-delimited fields, the payload). */
  start: number
  end: number
}

/** Walks protobuf fields straight from a file descriptor, reading only what it is asked for. */
class FieldReader {
  readonly size: number
  private readonly scratch = Buffer.alloc(20)

  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size
  }

  fields(from: number, to: number): Field[] {
    const fields: Field[] = []
    let at = from
    while (at < to) {
      const [tag, afterTag] = this.varint(at)
      const number = Number(tag >> 3n)
      const wire = Number(tag & 7n)
      let start = afterTag
      let end: number
      if (wire === 0) end = this.varint(afterTag)[1]
      else if (wire === 1) end = afterTag + 8
      else if (wire === 5) end = afterTag + 4
      else if (wire === 2) {
        const [length, afterLength] = this.varint(afterTag)
        start = afterLength
        end = afterLength + Number(length)
      } else throw new Error(`not an ONNX model: protobuf wire type ${wire} at byte ${at}`)
      if (end > to) throw new Error(`not an ONNX model: a field at byte ${at} runs past its end`)
      fields.push({ number, wire, start, end })
      at = end
    }
    return fields
  }

  bytes(field: Field): Uint8Array {
    const out = Buffer.alloc(field.end - field.start)
    readSync(this.fd, out, 0, out.length, field.start)
    return out
  }

  text(field: Field): string {
    return Buffer.from(this.bytes(field)).toString('utf8')
  }

  private varint(at: number): [bigint, number] {
    const got = readSync(this.fd, this.scratch, 0, this.scratch.length, at)
    let value = 0n
    for (let i = 0; i < Math.min(got, 10); i++) {
      const byte = this.scratch[i]
      value |= BigInt(byte & 0x7f) << BigInt(7 * i)
      if ((byte & 0x80) === 0) return [value, at + i + 1]
    }
    throw new Error(`not an ONNX model: a broken varint at byte ${at}`)
  }
}
