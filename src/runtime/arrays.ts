/**
 * @file Typed arrays for the executor: fresh output arrays, views into the arena and copies. The
 * array type of each dtype is the one host tensors use (bool is a Uint8Array of 0/1).
 */

import type { ArrayOf, TypedData } from '../graph/tensor.js';
import { shapeSize } from '../graph/tensor.js';
import type { DType } from '../ir/dtype.js';

interface ArrayCtor<A> {
  new (n: number): A;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): A;
}

const CTOR: { readonly [D in DType]: ArrayCtor<ArrayOf[D]> } = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

/** A zero-filled array for a tensor of `shape`. */
export function arrayOf(dtype: DType, shape: readonly number[]): TypedData {
  return new CTOR[dtype](shapeSize(shape));
}

/** `elems` elements of `dtype` at byte `offset` of `buffer` (offset aligned to the element size). */
export function viewOf(buffer: ArrayBuffer, dtype: DType, offset: number, elems: number): TypedData {
  return new CTOR[dtype](buffer, offset, elems);
}

/** A copy that owns its memory. */
export function copyArray<A extends TypedData>(a: A): A {
  return a.slice() as A;
}
