/**
 * @file Host tensors: a dtype, a concrete shape and a typed array in row-major order. They hold
 * a graph's initializers and constant attributes, the conformance cases' inputs and outputs, and
 * (later) the results of constant folding. The typed array of each dtype is fixed (int64 is a
 * BigInt64Array, bool a Uint8Array of 0/1), so code can switch on `dtype` and get the array type.
 * Tensors are treated as immutable: nothing writes into `data` once a tensor is built.
 */

import type { DType } from '../ir/dtype.js';
import { DTYPES } from '../ir/dtype.js';
import { GraphError } from './errors.js';

/** The typed array that stores each dtype. */
export interface ArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}

export type TypedData = ArrayOf[DType];

export interface HostTensorOf<D extends DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: ArrayOf[D];
}

/** A host tensor of any dtype; switching on `dtype` narrows `data`. */
export type HostTensor = { [D in DType]: HostTensorOf<D> }[DType];

const CTOR: { readonly [D in DType]: new (n: number) => ArrayOf[D] } = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

/** The number of elements of a concrete shape (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(shape: readonly number[], where: string): void {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new GraphError(where, `bad dimension ${d} in shape [${shape.join(', ')}]`);
  }
}

/** A tensor over `data`, which must be the dtype's array type and hold exactly the shape's elements. */
export function hostTensor(dtype: DType, shape: readonly number[], data: TypedData): HostTensor {
  const where = `tensor ${dtype}[${shape.join(', ')}]`;
  checkShape(shape, where);
  if (!(data instanceof CTOR[dtype])) throw new GraphError(where, `data is a ${data.constructor.name}, expected ${CTOR[dtype].name}`);
  if (data.length !== shapeSize(shape)) throw new GraphError(where, `data has ${data.length} elements, the shape needs ${shapeSize(shape)}`);
  // the instanceof check above pairs `data` with `dtype`, which TS cannot follow through the union
  return { dtype, shape: [...shape], data } as HostTensor;
}

/** A zero-filled tensor. */
export function zeros(dtype: DType, shape: readonly number[]): HostTensor {
  checkShape(shape, `zeros ${dtype}[${shape.join(', ')}]`);
  return hostTensor(dtype, shape, new CTOR[dtype](shapeSize(shape)));
}

/**
 * A tensor from plain values (tests, folded constants). Numbers are converted as the typed array
 * converts them; int64 accepts numbers (which must be integers) or bigints; bool stores 0/1.
 */
export function tensorOf(dtype: DType, shape: readonly number[], values: readonly (number | bigint | boolean)[]): HostTensor {
  const t = zeros(dtype, shape);
  if (values.length !== t.data.length) {
    throw new GraphError(`tensor ${dtype}[${shape.join(', ')}]`, `got ${values.length} values, the shape needs ${t.data.length}`);
  }
  if (t.dtype === 'int64') {
    values.forEach((v, i) => (t.data[i] = typeof v === 'bigint' ? v : BigInt(Number(v))));
  } else {
    const isBool = t.dtype === 'bool';
    values.forEach((v, i) => (t.data[i] = isBool ? (v ? 1 : 0) : Number(v)));
  }
  return t;
}

/** The elements as numbers (int64 values beyond ±2^53 lose precision). */
export function tensorNumbers(t: HostTensor): number[] {
  return t.dtype === 'int64' ? Array.from(t.data, Number) : Array.from(t.data);
}

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}
