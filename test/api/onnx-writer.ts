/**
 * @file A test-only ONNX writer: small multi-node models (typed inputs and outputs with symbolic
 * dims, initializers, typed attributes, any names) and serialized TensorProtos, so API, CLI and
 * peer tests can build exactly the model they need and hand the same bytes to onnxruntime-node.
 * Field numbers are those of the public onnx.proto; only the fields kiln's tests need are written.
 */

import protobuf from 'protobufjs';
import type { HostTensor } from '../../src/graph/tensor.js';
import type { DType } from '../../src/ir/dtype.js';

export interface IoSpec {
  readonly name: string;
  readonly dtype: DType;
  /** numbers, or strings for symbolic dims */
  readonly shape: readonly (number | string)[];
}

export type AttrSpec =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly string: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly tensor: HostTensor };

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attrs?: Readonly<Record<string, AttrSpec>>;
}

export interface ModelSpec {
  readonly opset?: number;
  readonly inputs: readonly IoSpec[];
  readonly outputs: readonly IoSpec[];
  readonly initializers?: readonly { readonly name: string; readonly tensor: HostTensor }[];
  readonly nodes: readonly NodeSpec[];
}

const ELEM: Readonly<Record<DType, number>> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 };
const LEN = 2;
const VARINT = 0;
const FIXED32 = 5;

const key = (w: protobuf.Writer, field: number, wire: number): protobuf.Writer => w.uint32((field << 3) | wire);

function tensorBody(w: protobuf.Writer, t: HostTensor, name: string): void {
  for (const d of t.shape) key(w, 1, VARINT).int64(d);
  key(w, 2, VARINT).int32(ELEM[t.dtype]);
  if (name !== '') key(w, 8, LEN).string(name);
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  key(w, 9, LEN).bytes(raw);
}

/** A serialized TensorProto (what a conformance case's input_0.pb holds). */
export function tensorProto(t: HostTensor, name = ''): Uint8Array {
  const w = protobuf.Writer.create();
  tensorBody(w, t, name);
  return w.finish();
}

function valueInfo(w: protobuf.Writer, field: number, io: IoSpec): void {
  key(w, field, LEN).fork();
  key(w, 1, LEN).string(io.name);
  key(w, 2, LEN).fork(); // TypeProto
  key(w, 1, LEN).fork(); // tensor_type
  key(w, 1, VARINT).int32(ELEM[io.dtype]);
  key(w, 2, LEN).fork(); // shape
  for (const d of io.shape) {
    key(w, 1, LEN).fork();
    if (typeof d === 'number') key(w, 1, VARINT).int64(d);
    else key(w, 2, LEN).string(d);
    w.ldelim();
  }
  w.ldelim().ldelim().ldelim().ldelim();
}

function attribute(w: protobuf.Writer, name: string, a: AttrSpec): void {
  key(w, 5, LEN).fork();
  key(w, 1, LEN).string(name);
  if ('int' in a) key(key(w, 3, VARINT).int64(a.int), 20, VARINT).int32(2);
  else if ('float' in a) key(key(w, 2, FIXED32).float(a.float), 20, VARINT).int32(1);
  else if ('string' in a) key(key(w, 4, LEN).bytes(new TextEncoder().encode(a.string)), 20, VARINT).int32(3);
  else if ('ints' in a) {
    for (const v of a.ints) key(w, 8, VARINT).int64(v);
    key(w, 20, VARINT).int32(7);
  } else if ('floats' in a) {
    for (const v of a.floats) key(w, 7, FIXED32).float(v);
    key(w, 20, VARINT).int32(6);
  } else {
    key(w, 5, LEN).fork();
    tensorBody(w, a.tensor, '');
    key(w.ldelim(), 20, VARINT).int32(4);
  }
  w.ldelim();
}

function node(w: protobuf.Writer, n: NodeSpec): void {
  key(w, 1, LEN).fork();
  for (const i of n.inputs) key(w, 1, LEN).string(i);
  for (const o of n.outputs) key(w, 2, LEN).string(o);
  if (n.name !== undefined) key(w, 3, LEN).string(n.name);
  key(w, 4, LEN).string(n.op);
  for (const [name, a] of Object.entries(n.attrs ?? {})) attribute(w, name, a);
  if (n.domain !== undefined) key(w, 7, LEN).string(n.domain);
  w.ldelim();
}

/** The bytes of a ModelProto for `spec` (ir_version 8, default-domain opset `spec.opset ?? 17`). */
export function writeModel(spec: ModelSpec): Uint8Array {
  const w = protobuf.Writer.create();
  key(w, 1, VARINT).int64(8);
  key(w, 8, LEN).fork();
  key(w, 1, LEN).string('');
  key(w, 2, VARINT).int64(spec.opset ?? 17);
  w.ldelim();
  key(w, 7, LEN).fork();
  for (const n of spec.nodes) node(w, n);
  key(w, 2, LEN).string('test');
  for (const i of spec.initializers ?? []) {
    key(w, 5, LEN).fork();
    tensorBody(w, i.tensor, i.name);
    w.ldelim();
  }
  for (const i of spec.inputs) valueInfo(w, 11, i);
  for (const o of spec.outputs) valueInfo(w, 12, o);
  w.ldelim();
  return w.finish();
}
