/**
 * A small builder for self-contained ONNX models on top of the `onnx-proto` protobuf classes:
 * named nodes, typed attributes, initializers stored as little-endian raw data.
 *
 * Output is deterministic: the same calls in the same order give the same bytes (protobuf fields
 * are written in field order and nothing time- or host-dependent goes into the model).
 */
import onnxProto from 'onnx-proto'

const { onnx } = onnxProto

export type Attribute =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }

/** Attribute constructors: ONNX tells `1` (int) from `1.0` (float), JavaScript does not. */
export const int = (value: number): Attribute => ({ kind: 'int', value })
export const ints = (value: number[]): Attribute => ({ kind: 'ints', value })
export const float = (value: number): Attribute => ({ kind: 'float', value })

/** A symbolic or fixed dimension of a graph input or output. */
export type Dim = string | number

export type ElementType = 'float32' | 'int64'

const DATA_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
}

/** The ONNX element type code, e.g. for Cast's `to` attribute. */
export const dataType = (type: ElementType): number => DATA_TYPE[type]

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = []
  private readonly initializers: onnxProto.onnx.ITensorProto[] = []
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = []
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = []
  private readonly names = new Set<string>()

  input(name: string, type: ElementType, shape: Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), type, shape))
    return name
  }

  output(name: string, type: ElementType, shape: Dim[]): void {
    if (!this.names.has(name)) throw new Error(`graph output ${name} is never produced`)
    this.outputs.push(valueInfo(name, type, shape))
  }

  /** Adds a float32 weight; `shape` must match `data.length`. */
  floats(name: string, shape: number[], data: Float32Array | number[]): string {
    return this.initializer(name, 'float32', shape, Float32Array.from(data).buffer)
  }

  /** Adds an int64 constant (shapes, axes, slice bounds). */
  int64s(name: string, shape: number[], data: number[]): string {
    return this.initializer(name, 'int64', shape, BigInt64Array.from(data.map(BigInt)).buffer)
  }

  /** Adds one node with one output, named `name`; returns that output name. */
  op(
    name: string,
    opType: string,
    inputs: string[],
    attributes: Record<string, Attribute> = {},
  ): string {
    return this.opN(name, opType, inputs, 1, attributes)[0]
  }

  /** Adds one node with `count` outputs, named `name:0`, `name:1`, ... */
  opN(
    name: string,
    opType: string,
    inputs: string[],
    count: number,
    attributes: Record<string, Attribute> = {},
  ): string[] {
    for (const i of inputs) {
      if (!this.names.has(i)) throw new Error(`${name}: input ${i} is not defined yet`)
    }
    const outputs = count === 1 ? [name] : Array.from({ length: count }, (_, i) => `${name}:${i}`)
    outputs.forEach((o) => this.claim(o))
    this.nodes.push(
      onnx.NodeProto.create({
        name,
        opType,
        input: inputs,
        output: outputs,
        attribute: Object.entries(attributes).map(([key, a]) => attribute(key, a)),
      }),
    )
    return outputs
  }

  /** Serializes the graph as a model for the default ONNX domain at `opset`. */
  toBytes(meta: {
    graphName: string
    opset: number
    producerName: string
    producerVersion: string
    docString: string
    metadata: Record<string, string>
  }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: meta.opset }],
      producerName: meta.producerName,
      producerVersion: meta.producerVersion,
      docString: meta.docString,
      metadataProps: Object.entries(meta.metadata).map(([key, value]) => ({ key, value })),
      graph: onnx.GraphProto.create({
        name: meta.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    })
    return onnx.ModelProto.encode(model).finish()
  }

  private initializer(name: string, type: ElementType, shape: number[], data: ArrayBuffer): string {
    const count = shape.reduce((a, b) => a * b, 1)
    const width = type === 'float32' ? 4 : 8
    if (count * width !== data.byteLength) {
      throw new Error(`${name}: shape [${shape.join(',')}] does not match ${data.byteLength} bytes`)
    }
    // Raw data is little-endian by the ONNX spec, as typed arrays are on every host Node runs on.
    this.initializers.push(
      onnx.TensorProto.create({
        name: this.claim(name),
        dims: shape,
        dataType: DATA_TYPE[type],
        rawData: new Uint8Array(data),
      }),
    )
    return name
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`duplicate tensor name ${name}`)
    this.names.add(name)
    return name
  }
}

function valueInfo(name: string, type: ElementType, shape: Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: {
          dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  })
}

function attribute(name: string, a: Attribute) {
  const T = onnx.AttributeProto.AttributeType
  switch (a.kind) {
    case 'int':
      return onnx.AttributeProto.create({ name, type: T.INT, i: a.value })
    case 'ints':
      return onnx.AttributeProto.create({ name, type: T.INTS, ints: a.value })
    case 'float':
      return onnx.AttributeProto.create({ name, type: T.FLOAT, f: a.value })
  }
}
