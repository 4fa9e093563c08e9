/**
 * @file TensorProto → HostTensor. ONNX stores tensor data in one of three places: `raw_data`
 * (little-endian bytes), a typed repeated field (float_data; int32_data, which also carries int8,
 * uint8, bool and the 16-bit float bit patterns; int64_data; double_data), or an external file.
 * Whatever the source, the element count must match the shape exactly — checked before any
 * allocation, so a lying header cannot make the reader allocate gigabytes.
 *
 * float16 and bfloat16 data is widened to float32 (exact, and cheap): models that store weights
 * in half precision and Cast them up then load. Values typed float16 at run time stay unsupported.
 */

import type { DType } from '../../ir/dtype.js';
import { bytesOf } from '../../ir/dtype.js';
import type { ArrayOf, HostTensor } from '../../graph/tensor.js';
import { hostTensor, shapeSize } from '../../graph/tensor.js';
import { quote } from '../../graph/text.js';
import { BFLOAT16, FLOAT16, bytes, decodeTensor, dtypeOf, elemName, int64ToBigInt, int64ToNumber } from './decode.js';
import { OnnxError } from './errors.js';
import { readExternal } from './external.js';
import type { Int64, TensorMsg } from './schema.js';
import { present } from './schema.js';

const EXTERNAL = 1;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** How a stored element type becomes a kiln dtype: directly, or by widening 16-bit floats. */
type Storage = { readonly dtype: DType; readonly half: null } | { readonly dtype: 'float32'; readonly half: 'f16' | 'bf16' };

function storageOf(code: number, where: string): Storage {
  if (code === FLOAT16) return { dtype: 'float32', half: 'f16' };
  if (code === BFLOAT16) return { dtype: 'float32', half: 'bf16' };
  return { dtype: dtypeOf(code, where), half: null };
}

function shapeOf(t: TensorMsg, where: string): number[] {
  return t.dims.map((d) => {
    const n = int64ToNumber(d);
    if (!Number.isSafeInteger(n) || n < 0) throw new OnnxError(where, `bad dimension ${n} in dims`);
    return n;
  });
}

/**
 * The tensor in `t`; `baseDir` resolves external data (null: the model has no directory), and
 * `onExternal` is told each external file read.
 */
export function tensorFromProto(t: TensorMsg, where: string, baseDir: string | null, onExternal?: (file: string) => void): HostTensor {
  const st = storageOf(t.dataType, where);
  const shape = shapeOf(t, where);
  const n = shapeSize(shape);
  if (!Number.isSafeInteger(n)) throw new OnnxError(where, `shape [${shape.join(', ')}] is too large`);
  if (present(t, 'segment')) throw new OnnxError(where, 'segmented tensors are not supported', 'unsupported');
  const width = st.half ? 2 : bytesOf(st.dtype);
  const described = `${st.half ? elemName(t.dataType) : st.dtype}[${shape.join(', ')}]`;
  let raw = bytes(t.rawData);
  if (t.dataLocation === EXTERNAL) raw = readExternal(t.externalData, n * width, baseDir, where, onExternal);
  if (raw.length > 0 || t.dataLocation === EXTERNAL) {
    if (raw.length !== n * width) throw new OnnxError(where, `raw data has ${raw.length} bytes, ${described} needs ${n * width}`);
    return hostTensor(st.dtype, shape, fromRaw(st, raw));
  }
  const values = typedField(t, st);
  if (values.length !== n) throw new OnnxError(where, `data has ${values.length} elements, ${described} needs ${n}`);
  return hostTensor(st.dtype, shape, fromValues(st, values));
}

/** Reads a serialized TensorProto (the conformance cases' input_N.pb / output_N.pb files). */
export function readTensorProto(data: Uint8Array, opts: { baseDir?: string } = {}): HostTensor {
  const t = decodeTensor(data);
  return tensorFromProto(t, t.name === '' ? 'tensor' : `tensor ${quote(t.name)}`, opts.baseDir ?? null);
}

/** The repeated field that holds this element type's values when raw_data is absent. */
function typedField(t: TensorMsg, st: Storage): readonly (number | Int64)[] {
  if (st.half) return t.int32Data;
  switch (st.dtype) {
    case 'float32':
      return t.floatData;
    case 'float64':
      return t.doubleData;
    case 'int64':
      return t.int64Data;
    default:
      return t.int32Data;
  }
}

function fromValues(st: Storage, values: readonly (number | Int64)[]): ArrayOf[DType] {
  const num = (v: (typeof values)[number]): number => (typeof v === 'number' ? v : int64ToNumber(v));
  if (st.half) return widen(Uint16Array.from(values, num), st.half);
  switch (st.dtype) {
    case 'int64':
      return BigInt64Array.from(values, (v) => (typeof v === 'number' ? BigInt(v) : int64ToBigInt(v)));
    case 'bool':
      return Uint8Array.from(values, (v) => (num(v) !== 0 ? 1 : 0));
    default:
      return new VIEW[st.dtype](values.length).map((_, i) => num(values[i]));
  }
}

const VIEW = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
} as const;

/** Little-endian bytes as the dtype's array: copied (raw_data need not be aligned), swapped on big-endian hosts. */
function fromRaw(st: Storage, raw: Uint8Array): ArrayOf[DType] {
  const copy = new Uint8Array(raw.length);
  copy.set(raw);
  const width = st.half ? 2 : bytesOf(st.dtype);
  if (!LITTLE_ENDIAN && width > 1) {
    for (let i = 0; i < copy.length; i += width) copy.subarray(i, i + width).reverse();
  }
  if (st.half) return widen(new Uint16Array(copy.buffer), st.half);
  if (st.dtype === 'bool') return copy.map((b) => (b !== 0 ? 1 : 0));
  return new VIEW[st.dtype](copy.buffer);
}

/** 16-bit float bit patterns to float32 values. */
function widen(bits: Uint16Array, kind: 'f16' | 'bf16'): Float32Array {
  const out = new Float32Array(bits.length);
  if (kind === 'bf16') {
    // bfloat16 is the top half of a float32
    const words = new Uint32Array(out.buffer);
    for (let i = 0; i < bits.length; i++) words[i] = bits[i] << 16;
    return out;
  }
  for (let i = 0; i < bits.length; i++) out[i] = halfToFloat(bits[i]);
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
