/**
 * @file Test helpers that write small ONNX models from plain objects, through the same reflected
 * schema the reader uses. Field numbers are cross-checked against real files (the conformance
 * cases) and against onnxruntime (the external-data test), so sharing the schema hides nothing.
 */

import { ModelProto, TensorProto } from '../../../src/frontend/onnx/schema.js';

export const DATA = new URL('../../../../shared/onnx/', import.meta.url).pathname;

export const T = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 };

type DimSpec = number | string | null;

/** A ValueInfoProto; a null dim is an unknown dim, a null shape an unknown rank. */
export function vi(name: string, elemType: number, dims: readonly DimSpec[] | null): object {
  const dim = dims?.map((d) => (d === null ? {} : typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, ...(dim ? { shape: { dim } } : {}) } } };
}

/** ModelProto.ir_version = 8 (field 1, varint), which the reader skips but onnxruntime requires. */
const IR_VERSION_8 = [0x08, 0x08];

export function model(graph: object, opsets: readonly (readonly [string, number])[] = [['', 13]]): Uint8Array {
  const msg = ModelProto.fromObject({ opsetImport: opsets.map(([domain, version]) => ({ domain, version })), graph });
  return new Uint8Array([...IR_VERSION_8, ...ModelProto.encode(msg).finish()]);
}

export function tensorBytes(t: object): Uint8Array {
  return TensorProto.encode(TensorProto.fromObject(t)).finish();
}

/** Little-endian bytes of a typed array (the hosts kiln runs on are little-endian). */
export function le(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

/** y = op(x, w) over float32[n], with `w` given as the initializer object `init`. */
export function binaryModel(init: object, op = 'Add', n = 3): Uint8Array {
  return model({
    node: [{ opType: op, input: ['x', 'w'], output: ['y'] }],
    initializer: [init],
    input: [vi('x', T.FLOAT, [n])],
    output: [vi('y', T.FLOAT, [n])],
  });
}
