/**
 * @file Writes tiny single-node ONNX models so peers (onnxruntime-node, onnxruntime-web) can run
 * the same operator kiln compiles. Only the fields a one-node float graph needs are encoded, with
 * protobufjs' wire-level Writer (field numbers from the public ONNX schema).
 */

import protobuf from 'protobufjs';

export interface IoSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

const FLOAT = 1;

function valueInfo(w: protobuf.Writer, field: number, io: IoSpec): void {
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

/** A model with one node `op(inputs) -> outputs`, opset 17. */
export function singleNodeModel(op: string, inputs: readonly IoSpec[], outputs: readonly IoSpec[]): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 0).int64(8); // ir_version
  w.uint32((8 << 3) | 2).fork(); // opset_import
  w.uint32((1 << 3) | 2).string('');
  w.uint32((2 << 3) | 0).int64(17);
  w.ldelim();
  w.uint32((7 << 3) | 2).fork(); // graph
  w.uint32((1 << 3) | 2).fork(); // node
  for (const i of inputs) w.uint32((1 << 3) | 2).string(i.name);
  for (const o of outputs) w.uint32((2 << 3) | 2).string(o.name);
  w.uint32((4 << 3) | 2).string(op); // op_type
  w.ldelim();
  w.uint32((2 << 3) | 2).string('bench'); // graph name
  for (const i of inputs) valueInfo(w, 11, i);
  for (const o of outputs) valueInfo(w, 12, o);
  w.ldelim();
  return w.finish();
}
