/**
 * @file Writes tiny single-node ONNX models so peers (onnxruntime-node, onnxruntime-web) can run
 * the same operator kiln compiles. Only the fields a one-node float graph needs are encoded, with
 * protobufjs' wire-level Writer (field numbers from the public ONNX schema): integer attributes,
 * and float initializers for weights (constants, as in a real model, so both sides may prepack).
 */

import protobuf from 'protobufjs';

export interface IoSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface Initializer extends IoSpec {
  readonly data: Float32Array;
}

export interface NodeExtras {
  /** INT and INTS attributes, like `{ group: 96, pads: [1, 1, 1, 1] }` */
  readonly attrs?: Readonly<Record<string, number | readonly number[]>>;
  /** constant inputs, passed to the node after the graph inputs, in this order */
  readonly initializers?: readonly Initializer[];
}

const FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

function attribute(w: protobuf.Writer, name: string, value: number | readonly number[]): void {
  w.uint32((5 << 3) | 2).fork(); // NodeProto.attribute
  w.uint32((1 << 3) | 2).string(name);
  if (typeof value === 'number') {
    w.uint32((20 << 3) | 0).int32(ATTR_INT);
    w.uint32((3 << 3) | 0).int64(value);
  } else {
    w.uint32((20 << 3) | 0).int32(ATTR_INTS);
    for (const v of value) w.uint32((8 << 3) | 0).int64(v);
  }
  w.ldelim();
}

function initializer(w: protobuf.Writer, t: Initializer): void {
  w.uint32((5 << 3) | 2).fork(); // GraphProto.initializer
  for (const d of t.shape) w.uint32((1 << 3) | 0).int64(d); // dims
  w.uint32((2 << 3) | 0).int32(FLOAT); // data_type
  w.uint32((8 << 3) | 2).string(t.name);
  // raw_data is little-endian, as typed arrays are on every platform Node runs on in practice
  w.uint32((9 << 3) | 2).bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  w.ldelim();
}

/** A ValueInfoProto for a float tensor, as field `field` of the message being written. */
export function valueInfo(w: protobuf.Writer, field: number, io: IoSpec): void {
  w.uint32((field << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string(io.name); // ValueInfoProto.name
  w.uint32((2 << 3) | 2).fork(); // .type: TypeProto
  w.uint32((1 << 3) | 2).fork(); // TypeProto.tensor_type
  w.uint32((1 << 3) | 0).int32(FLOAT); // elem_type
  w.uint32((2 << 3) | 2).fork(); // shape: TensorShapeProto
  for (const d of io.shape) {
    w.uint32((1 << 3) | 2).fork(); // dim
    w.uint32((1 << 3) | 0).int64(d); // dim_value
    w.ldelim();
  }
  w.ldelim().ldelim().ldelim().ldelim();
}

/** A model with one node `op(inputs, initializers) -> outputs`, opset 17. */
export function singleNodeModel(op: string, inputs: readonly IoSpec[], outputs: readonly IoSpec[], extras: NodeExtras = {}): Uint8Array {
  const constants = extras.initializers ?? [];
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 0).int64(8); // ir_version
  w.uint32((8 << 3) | 2).fork(); // opset_import
  w.uint32((1 << 3) | 2).string('');
  w.uint32((2 << 3) | 0).int64(17);
  w.ldelim();
  w.uint32((7 << 3) | 2).fork(); // graph
  w.uint32((1 << 3) | 2).fork(); // node
  for (const i of [...inputs, ...constants]) w.uint32((1 << 3) | 2).string(i.name);
  for (const o of outputs) w.uint32((2 << 3) | 2).string(o.name);
  w.uint32((4 << 3) | 2).string(op); // op_type
  for (const [name, value] of Object.entries(extras.attrs ?? {})) attribute(w, name, value);
  w.ldelim();
  w.uint32((2 << 3) | 2).string('bench'); // graph name
  for (const t of constants) initializer(w, t);
  for (const i of inputs) valueInfo(w, 11, i);
  for (const o of outputs) valueInfo(w, 12, o);
  w.ldelim();
  return w.finish();
}
