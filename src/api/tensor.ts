/**
 * @file The tensor users hand to and get from an `InferenceSession`, shaped like onnxruntime's
 * (`new Tensor('float32', data, [1, 3, 224, 224])`, `.type`, `.data`, `.dims`) so code written
 * for onnxruntime switches to kiln by changing an import. Sessions also accept any object of
 * that shape as a feed, onnxruntime's own tensors included.
 */

import { GraphError } from '../graph/errors.js';
import type { HostTensor, TypedData } from '../graph/tensor.js';
import { hostTensor, isDType, shapeSize, tensorOf } from '../graph/tensor.js';
import type { DType } from '../ir/dtype.js';

/** The element types kiln runs (bool data is a Uint8Array of 0/1, as in onnxruntime). */
export type TensorType = DType;

export type TensorData = TypedData;

const TYPE_OF_ARRAY: readonly (readonly [new (n: number) => TypedData, DType])[] = [
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
  [Int8Array, 'int8'],
  [Uint8Array, 'uint8'],
  [Int32Array, 'int32'],
  [BigInt64Array, 'int64'],
];

function isTypedData(x: unknown): x is TypedData {
  return TYPE_OF_ARRAY.some(([ctor]) => x instanceof ctor);
}

function typeOfArray(data: TypedData): DType {
  return TYPE_OF_ARRAY.find(([ctor]) => data instanceof ctor)![1];
}

export class Tensor {
  readonly type: TensorType;
  readonly data: TensorData;
  readonly dims: readonly number[];

  /** A tensor of `type` over `data` (a typed array, or plain values to convert); dims default to `[data.length]`. */
  constructor(type: TensorType, data: TensorData | readonly (number | bigint | boolean)[], dims?: readonly number[]);
  /** A tensor whose type follows the typed array (Float32Array → float32, …). */
  constructor(data: TensorData, dims?: readonly number[]);
  constructor(a: TensorType | TensorData, b?: TensorData | readonly (number | bigint | boolean)[] | readonly number[], c?: readonly number[]) {
    const [type, data, dims] = typeof a === 'string' ? [a, b, c] : [isTypedData(a) ? typeOfArray(a) : a, a, b as readonly number[] | undefined];
    if (typeof type !== 'string' || !isDType(type)) throw new TypeError(`Tensor: unsupported type ${JSON.stringify(type)}`);
    if (data === undefined) throw new TypeError('Tensor: data is required');
    const shape = dims ?? [data.length];
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new RangeError(`Tensor: bad dims [${shape.join(', ')}]`);
    if (data.length !== shapeSize(shape)) {
      throw new RangeError(`Tensor: data has ${data.length} elements, dims [${shape.join(', ')}] need ${shapeSize(shape)}`);
    }
    const host = toHost(type, shape, data);
    this.type = host.dtype;
    this.data = host.data;
    this.dims = host.shape;
  }

  /** The number of elements. */
  get size(): number {
    return this.data.length;
  }
}

function toHost(type: DType, shape: readonly number[], data: TensorData | readonly (number | bigint | boolean)[]): HostTensor {
  try {
    return isTypedData(data) ? hostTensor(type, shape, data) : tensorOf(type, shape, data);
  } catch (e) {
    if (e instanceof GraphError) throw new TypeError(`Tensor: ${e.detail}`);
    throw e;
  }
}

/** The host tensor over a Tensor's data (not copied). */
export function toHostTensor(t: Tensor): HostTensor {
  return hostTensor(t.type, t.dims, t.data);
}

export function fromHostTensor(t: HostTensor): Tensor {
  return new Tensor(t.dtype, t.data, t.shape);
}
