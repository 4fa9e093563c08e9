/**
 * @file Wire decoding and the small conversions every part of the reader needs: protobuf bytes
 * to typed messages (with protobufjs' errors turned into `OnnxError`s), int64 pairs to numbers or
 * bigints, bytes fields to UTF-8 text, and ONNX element type codes to kiln dtypes.
 */

import type { DType } from '../../ir/dtype.js';
import { OnnxError } from './errors.js';
import type { Bytes, Int64, ModelMsg, TensorMsg } from './schema.js';
import { ModelProto, TensorProto } from './schema.js';

/**
 * Decodes `bytes` as `type`. The cast to the message view is sound because the view mirrors the
 * reflected schema field for field. Stack overflows from absurd nesting are reported like any
 * other corrupt input.
 */
function decodeAs<T>(type: typeof ModelProto, bytes: Uint8Array, where: string): T {
  try {
    return type.decode(bytes) as unknown as T;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new OnnxError(where, `not a valid ${type.name} (truncated or corrupt: ${why})`);
  }
}

export function decodeModel(bytes: Uint8Array): ModelMsg {
  return decodeAs<ModelMsg>(ModelProto, bytes, 'model');
}

export function decodeTensor(bytes: Uint8Array): TensorMsg {
  return decodeAs<TensorMsg>(TensorProto, bytes, 'tensor');
}

/** An int64 as a number; exact up to ±2^53, magnitude kept beyond. */
export function int64ToNumber(x: Int64): number {
  return x.high * 4294967296 + (x.low >>> 0);
}

export function int64ToBigInt(x: Int64): bigint {
  return (BigInt(x.high) << 32n) | BigInt(x.low >>> 0);
}

const utf8 = new TextDecoder('utf-8');

/** A bytes field as text (invalid UTF-8 becomes U+FFFD, never an error). */
export function text(b: Bytes): string {
  return b instanceof Uint8Array ? utf8.decode(b) : '';
}

export function bytes(b: Bytes): Uint8Array {
  return b instanceof Uint8Array ? b : new Uint8Array(0);
}

/** ONNX TensorProto.DataType names, indexed by code, for messages. */
const ELEM_NAMES = [
  'UNDEFINED', 'FLOAT', 'UINT8', 'INT8', 'UINT16', 'INT16', 'INT32', 'INT64', 'STRING', 'BOOL', 'FLOAT16',
  'DOUBLE', 'UINT32', 'UINT64', 'COMPLEX64', 'COMPLEX128', 'BFLOAT16', 'FLOAT8E4M3FN', 'FLOAT8E4M3FNUZ',
  'FLOAT8E5M2', 'FLOAT8E5M2FNUZ', 'UINT4', 'INT4', 'FLOAT4E2M1', 'FLOAT8E8M0', 'UINT2', 'INT2',
];

const DTYPE_OF: ReadonlyMap<number, DType> = new Map([
  [1, 'float32'],
  [2, 'uint8'],
  [3, 'int8'],
  [6, 'int32'],
  [7, 'int64'],
  [9, 'bool'],
  [11, 'float64'],
]);

/** Element types whose constant data kiln widens to float32 (cheap, exact). */
export const FLOAT16 = 10;
export const BFLOAT16 = 16;

export function elemName(code: number): string {
  return ELEM_NAMES[code] ?? `code ${code}`;
}

/** The kiln dtype of an ONNX element type, or an 'unsupported' OnnxError naming `where`. */
export function dtypeOf(code: number, where: string): DType {
  const dt = DTYPE_OF.get(code);
  if (dt !== undefined) return dt;
  throw new OnnxError(
    where,
    `element type ${elemName(code)} is not supported (kiln computes float32, float64, int8, uint8, int32, int64, bool)`,
    'unsupported',
  );
}
