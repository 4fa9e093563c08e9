/**
 * @file C spellings of kiln's types and constants, and the one way text reaches a C string
 * literal. Scalars map to <stdint.h> types (bool is a uint8_t in memory). A vector of `n` lanes
 * is a GCC vector of the next power of two lanes (GCC only has those), so lanes 3 use a 4-lane
 * type whose extra lane is never loaded from or stored to memory. Boolean vectors are masks of
 * int32 lanes (-1 true, 0 false): comparisons of 32-bit values produce exactly that, and GCC
 * narrows masks to 8 bits poorly, so 32 bits keeps the common float32/int32 select cheap.
 */

import type { DType } from '../../ir/dtype.js';
import { bytesOf } from '../../ir/dtype.js';

export const SUFFIX: Record<DType, string> = {
  float32: 'f32',
  float64: 'f64',
  int8: 'i8',
  uint8: 'u8',
  int32: 'i32',
  int64: 'i64',
  bool: 'bool',
};

const SCALAR: Record<DType, string> = {
  float32: 'float',
  float64: 'double',
  int8: 'int8_t',
  uint8: 'uint8_t',
  int32: 'int32_t',
  int64: 'int64_t',
  bool: 'uint8_t',
};

/** The signed integer dtype as wide as each lane, used for select masks. */
export const MASK_OF: Record<DType, DType> = {
  float32: 'int32',
  float64: 'int64',
  int8: 'int8',
  uint8: 'int8',
  int32: 'int32',
  int64: 'int64',
  bool: 'int32',
};

export function scalarType(t: DType): string {
  return SCALAR[t];
}

/** The C type of one lane inside a vector (bool lanes are int32 masks). */
export function laneType(t: DType): string {
  return t === 'bool' ? 'int32_t' : SCALAR[t];
}

export function laneBytes(t: DType): number {
  return t === 'bool' ? 4 : bytesOf(t);
}

/** Lanes of the GCC vector type that holds `lanes` lanes. */
export function physLanes(lanes: number): number {
  let p = 1;
  while (p < lanes) p *= 2;
  return p;
}

export function vectorTypeName(t: DType, lanes: number): string {
  return `kiln_${SUFFIX[t]}x${physLanes(lanes)}`;
}

export function cIntLiteral(v: number, t: DType): string {
  if (t === 'bool') return v ? '1' : '0';
  if (t === 'int64') return `INT64_C(${v})`;
  if (v === -2147483648) return '(-2147483647 - 1)';
  return v < 0 ? `(${v})` : String(v);
}

/**
 * A float constant. `String(x)` is the shortest decimal that reads back as the double `x`; for a
 * float32 `x` the nearest float to that decimal is `x` as well, so the `f` literal is exact.
 */
export function cFloatLiteral(v: number, t: 'float32' | 'float64'): string {
  const f = t === 'float32' ? 'f' : '';
  if (Number.isNaN(v)) return `__builtin_nan${f}("")`;
  if (!Number.isFinite(v)) return v < 0 ? `(-__builtin_inf${f}())` : `__builtin_inf${f}()`;
  const x = t === 'float32' ? Math.fround(v) : v;
  if (Object.is(x, -0)) return `(-0.0${f})`;
  const s = String(x);
  const lit = `${/[.e]/.test(s) ? s : `${s}.0`}${f}`;
  return x < 0 ? `(${lit})` : lit;
}

/** A C string literal holding `text`, every byte other than a letter or digit as an octal escape. */
export function cStringLiteral(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9]/.test(ch) ? ch : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return `"${out}"`;
}
