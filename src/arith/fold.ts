/**
 * @file Constant folding with the target's arithmetic, not JavaScript's: integer ops are exact and
 * are left unfolded when the result would not fit the dtype (C leaves signed overflow undefined,
 * so no value is the right one); float32 rounds after every op; integer division comes in a
 * truncating (C) and a flooring flavour; casts truncate, wrap or test against zero as C does.
 * Each function returns undefined when it declines to fold.
 */

import type { DType } from '../ir/dtype.js';
import { intRange, isFloat, isInt } from '../ir/dtype.js';
import type { BinaryOp, CmpOp, Expr, FloatImm, IntImm, MathFn } from '../ir/expr.js';
import { floatImm, intImm } from '../ir/expr.js';

export type Const = IntImm | FloatImm;

const TRUE: IntImm = intImm(1, 'bool');
export const FALSE: IntImm = intImm(0, 'bool');

export function boolImm(v: boolean): IntImm {
  return v ? TRUE : FALSE;
}

/** True when `v` is a value of integer `dtype` (int64 is limited to exact doubles). */
export function fitsInt(v: number, dtype: DType): boolean {
  if (!Number.isSafeInteger(v)) return false;
  const [lo, hi] = intRange(dtype);
  return v >= lo && v <= hi;
}

/** An integer constant, or undefined when `v` does not fit `dtype`. Never a -0. */
export function intConst(v: number, dtype: DType): IntImm | undefined {
  return fitsInt(v, dtype) ? intImm(v === 0 ? 0 : v, dtype) : undefined;
}

function roundTo(v: number, dtype: DType): number {
  return dtype === 'float32' ? Math.fround(v) : v;
}

/** Exact integer division through BigInt, so int64-sized operands do not lose digits. */
function intDivMod(op: 'div' | 'mod' | 'floordiv' | 'floormod', a: number, b: number): number | undefined {
  if (b === 0) return undefined;
  const x = BigInt(a);
  const y = BigInt(b);
  const q = x / y;
  const r = x % y;
  // Truncation and flooring differ when the remainder is nonzero and the signs differ.
  const adjust = r !== 0n && r < 0n !== y < 0n;
  switch (op) {
    case 'div':
      return Number(q);
    case 'mod':
      return Number(r);
    case 'floordiv':
      return Number(adjust ? q - 1n : q);
    case 'floormod':
      return Number(adjust ? r + y : r);
  }
}

function foldIntBinary(op: BinaryOp, a: number, b: number, dtype: DType): Expr | undefined {
  switch (op) {
    case 'add':
      return intConst(a + b, dtype);
    case 'sub':
      return intConst(a - b, dtype);
    case 'mul':
      return intConst(a * b, dtype);
    case 'min':
      return intConst(Math.min(a, b), dtype);
    case 'max':
      return intConst(Math.max(a, b), dtype);
    default: {
      const v = intDivMod(op, a, b);
      return v === undefined ? undefined : intConst(v, dtype);
    }
  }
}

function foldFloatBinary(op: BinaryOp, a: number, b: number, dtype: DType): Expr | undefined {
  switch (op) {
    case 'add':
      return floatImm(roundTo(a + b, dtype), dtype);
    case 'sub':
      return floatImm(roundTo(a - b, dtype), dtype);
    case 'mul':
      return floatImm(roundTo(a * b, dtype), dtype);
    case 'div':
      return floatImm(roundTo(a / b, dtype), dtype);
    case 'mod':
      // JavaScript's % is C's fmod.
      return floatImm(roundTo(a % b, dtype), dtype);
    case 'min':
    case 'max':
      // NaN and ±0 are where C's fmin/fmax and JavaScript's Math.min/max disagree.
      if (Number.isNaN(a) || Number.isNaN(b) || (a === 0 && b === 0)) return undefined;
      return floatImm(op === 'min' ? Math.min(a, b) : Math.max(a, b), dtype);
    case 'floordiv':
    case 'floormod':
      // Float floor division has no single agreed rounding sequence across targets.
      return undefined;
  }
}

export function foldBinary(op: BinaryOp, a: Const, b: Const, dtype: DType): Expr | undefined {
  if (isInt(dtype)) return foldIntBinary(op, a.value, b.value, dtype);
  if (isFloat(dtype)) return foldFloatBinary(op, a.value, b.value, dtype);
  return undefined;
}

export function compareValues(op: CmpOp, a: number, b: number): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
  }
}

function wrapInt(v: number, dtype: DType): number | undefined {
  switch (dtype) {
    case 'int8':
      return (v << 24) >> 24;
    case 'uint8':
      return v & 0xff;
    case 'int32':
      return v | 0;
    default:
      return Number.isSafeInteger(v) ? v : undefined;
  }
}

/** C conversion: float → int truncates (out of range is undefined: not folded), int → narrower int wraps. */
export function foldCast(c: Const, dtype: DType): Expr | undefined {
  const v = c.value;
  if (isFloat(dtype)) return floatImm(roundTo(v, dtype), dtype);
  if (dtype === 'bool') return boolImm(v !== 0);
  if (!isFloat(c.dtype)) {
    const w = wrapInt(v, dtype);
    return w === undefined ? undefined : intConst(w, dtype);
  }
  const t = Math.trunc(v);
  if (!Number.isFinite(t)) return undefined;
  // Narrow targets convert through int32, then wrap.
  const narrow = dtype === 'int8' || dtype === 'uint8';
  const w = narrow && fitsInt(t, 'int32') ? wrapInt(t, dtype) : t;
  return w === undefined ? undefined : intConst(w, dtype);
}

/** Round half to even (ONNX Round). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const FLOAT_FNS: Partial<Record<MathFn, (x: number, y: number) => number>> = {
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  pow: (x, y) => Math.pow(x, y),
  abs: Math.abs,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  sin: Math.sin,
  cos: Math.cos,
};

export function foldCall(fn: MathFn, args: readonly Const[], dtype: DType): Expr | undefined {
  const x = args[0]?.value ?? NaN;
  const y = args[1]?.value ?? NaN;
  if (isInt(dtype)) {
    if (fn === 'abs') return intConst(Math.abs(x), dtype);
    if (fn === 'floor' || fn === 'ceil' || fn === 'round') return intConst(x, dtype);
    return undefined;
  }
  const f = FLOAT_FNS[fn];
  if (!f || !isFloat(dtype)) return undefined;
  if (fn === 'pow' ? args.length !== 2 : args.length !== 1) return undefined;
  return floatImm(roundTo(f(x, y), dtype), dtype);
}
