/**
 * @file Scalar operations on values already on the wasm stack: arithmetic with C and kiln
 * semantics, comparisons, casts and math calls. Both the scalar expression emitter and the
 * per-lane vector path end here, so each operator's meaning is written once.
 *
 * Integers: int32 wraps; int8/uint8/bool live in i32 and are re-normalized (sign-extended,
 * masked, or tested against 0) after every operation that can leave their range. `div`/`mod`
 * truncate like C; `floordiv`/`floormod` round toward −∞. Integer division by zero (and
 * INT_MIN / −1) trap, which surfaces as a thrown WasmRuntimeError.
 */

import type { DType } from '../../ir/dtype.js';
import { isFloat } from '../../ir/dtype.js';
import type { Binary, BinaryOp, CmpOp, MathFn } from '../../ir/expr.js';
import type { Code } from './code.js';
import type { FuncContext } from './context.js';
import { wasmType } from './context.js';
import type { Op } from './opcodes.js';

export function emitConst(c: Code, value: number, dtype: DType): void {
  switch (dtype) {
    case 'float32':
      c.f32Const(value);
      return;
    case 'float64':
      c.f64Const(value);
      return;
    case 'int64':
      c.i64Const(BigInt(Math.trunc(value)));
      return;
    case 'int8':
      c.i32Const((value << 24) >> 24);
      return;
    case 'uint8':
      c.i32Const(value & 0xff);
      return;
    case 'bool':
      c.i32Const(value ? 1 : 0);
      return;
    case 'int32':
      c.i32Const(Number(BigInt.asIntN(32, BigInt(Math.trunc(value)))));
  }
}

/** Brings an i32 holding a narrow integer or bool back into its range. */
export function normalize(c: Code, dtype: DType): void {
  if (dtype === 'int8') c.op('i32.extend8_s');
  else if (dtype === 'uint8') c.i32Const(0xff).op('i32.and');
  else if (dtype === 'bool') c.i32Const(0).op('i32.ne');
}

type Prefix = 'i32' | 'i64' | 'f32' | 'f64';
const opName = (p: Prefix, suffix: string): Op => `${p}.${suffix}` as Op;

/** Pops b then a into temporaries, for operators that read an operand twice. */
function spill2(fc: FuncContext, dtype: DType): [a: () => void, b: () => void] {
  const t = wasmType(dtype);
  const la = fc.temp(t);
  const lb = fc.temp(t);
  fc.code.localSet(lb).localSet(la);
  return [() => void fc.code.localGet(la), () => void fc.code.localGet(lb)];
}

function floatBinary(fc: FuncContext, op: BinaryOp, dtype: DType): void {
  const p = wasmType(dtype) as 'f32' | 'f64';
  const c = fc.code;
  switch (op) {
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
    case 'min':
    case 'max':
      c.op(opName(p, op));
      return;
    case 'floordiv':
      c.op(opName(p, 'div')).op(opName(p, 'floor'));
      return;
    case 'floormod': {
      // a − floor(a/b)·b
      const [a, b] = spill2(fc, dtype);
      a();
      a();
      b();
      c.op(opName(p, 'div')).op(opName(p, 'floor'));
      b();
      c.op(opName(p, 'mul')).op(opName(p, 'sub'));
      return;
    }
    case 'mod':
      c.call(fc.mod.math.fmod(dtype === 'float64' ? 'float64' : 'float32'));
  }
}

/** floordiv/floormod on integers: truncate, then step toward −∞ when the remainder's sign differs from b's. */
function intFloor(fc: FuncContext, op: 'floordiv' | 'floormod', dtype: DType): void {
  const p = wasmType(dtype) as 'i32' | 'i64';
  const c = fc.code;
  const [a, b] = spill2(fc, dtype);
  const r = fc.temp(p);
  a();
  b();
  c.op(opName(p, 'rem_s')).localSet(r);
  // adjust = r != 0 && (r ^ b) < 0, as an i32 0/1
  c.localGet(r);
  c.op(opName(p, 'eqz')).op('i32.eqz');
  c.localGet(r);
  b();
  c.op(opName(p, 'xor'));
  if (p === 'i64') c.i64Const(0).op('i64.lt_s');
  else c.i32Const(0).op('i32.lt_s');
  c.op('i32.and');
  const adjust = fc.temp('i32');
  c.localSet(adjust);
  if (op === 'floordiv') {
    a();
    b();
    c.op(opName(p, 'div_s')).localGet(adjust);
    if (p === 'i64') c.op('i64.extend_i32_u');
    c.op(opName(p, 'sub'));
  } else {
    c.localGet(r);
    b();
    if (p === 'i64') c.i64Const(0);
    else c.i32Const(0);
    c.localGet(adjust).op('select').op(opName(p, 'add'));
  }
}

function intBinary(fc: FuncContext, op: BinaryOp, dtype: DType): void {
  const p = wasmType(dtype) as 'i32' | 'i64';
  const c = fc.code;
  switch (op) {
    case 'add':
    case 'sub':
    case 'mul':
      c.op(opName(p, op));
      break;
    case 'div':
      c.op(opName(p, 'div_s'));
      break;
    case 'mod':
      c.op(opName(p, 'rem_s'));
      break;
    case 'min':
    case 'max': {
      const [a, b] = spill2(fc, dtype);
      a();
      b();
      a();
      b();
      c.op(opName(p, op === 'min' ? 'lt_s' : 'gt_s')).op('select');
      break;
    }
    case 'floordiv':
    case 'floormod':
      intFloor(fc, op, dtype);
  }
  normalize(c, dtype);
}

/**
 * log2 of the divisor when `e` is an integer floordiv/floormod by a positive power of two (index
 * arithmetic, mostly), which are an arithmetic shift and a mask in two's complement.
 */
export function pow2Divisor(e: Binary): number | undefined {
  if ((e.op !== 'floordiv' && e.op !== 'floormod') || isFloat(e.dtype) || e.dtype === 'bool') return undefined;
  const d = e.b.kind === 'broadcast' ? e.b.value : e.b;
  if (d.kind !== 'int' || d.value <= 0 || !Number.isInteger(Math.log2(d.value))) return undefined;
  return Math.log2(d.value);
}

/** a (on the stack) floordiv/floormod 2^k. */
export function applyPow2Floor(fc: FuncContext, op: BinaryOp, dtype: DType, k: number): void {
  const c = fc.code;
  const wide = dtype === 'int64';
  if (op === 'floordiv') {
    if (wide) c.i64Const(k).op('i64.shr_s');
    else c.i32Const(k).op('i32.shr_s');
  } else if (wide) {
    c.i64Const((1n << BigInt(k)) - 1n).op('i64.and');
  } else {
    c.i32Const(2 ** k - 1).op('i32.and');
  }
}

/** a op b, both on the stack, of `dtype`. */
export function applyBinary(fc: FuncContext, op: BinaryOp, dtype: DType): void {
  if (isFloat(dtype)) floatBinary(fc, op, dtype);
  else intBinary(fc, op, dtype);
}

const SIGNED_CMP: Readonly<Record<CmpOp, string>> = { eq: 'eq', ne: 'ne', lt: 'lt_s', le: 'le_s', gt: 'gt_s', ge: 'ge_s' };

/** a op b → i32 0/1, for operands of `dtype`. */
export function applyCmp(fc: FuncContext, op: CmpOp, dtype: DType): void {
  const p = wasmType(dtype);
  fc.code.op(opName(p, isFloat(dtype) ? op : SIGNED_CMP[op]));
}

function castFromFloat(c: Code, from: 'f32' | 'f64', to: DType): void {
  switch (to) {
    case 'float32':
    case 'float64':
      if (from === 'f32' && to === 'float64') c.op('f64.promote_f32');
      if (from === 'f64' && to === 'float32') c.op('f32.demote_f64');
      return;
    case 'bool':
      if (from === 'f32') c.f32Const(0).op('f32.ne');
      else c.f64Const(0).op('f64.ne');
      return;
    case 'int64':
      c.sat(from === 'f32' ? 'i64.trunc_sat_f32_s' : 'i64.trunc_sat_f64_s');
      return;
    default:
      // C truncation for values in range; narrow types then wrap like an int32 store would
      c.sat(from === 'f32' ? 'i32.trunc_sat_f32_s' : 'i32.trunc_sat_f64_s');
      normalize(c, to);
  }
}

function castFromInt(c: Code, from: DType, to: DType): void {
  const wide = from === 'int64';
  switch (to) {
    case 'float32':
      c.op(wide ? 'f32.convert_i64_s' : 'f32.convert_i32_s');
      return;
    case 'float64':
      c.op(wide ? 'f64.convert_i64_s' : 'f64.convert_i32_s');
      return;
    case 'int64':
      if (!wide) c.op('i64.extend_i32_s');
      return;
    case 'bool':
      if (wide) c.op('i64.eqz').op('i32.eqz');
      else normalize(c, 'bool');
      return;
    default:
      if (wide) c.op('i32.wrap_i64');
      normalize(c, to);
  }
}

/** Converts the value on the stack from `from` to `to`. */
export function applyCast(fc: FuncContext, from: DType, to: DType): void {
  if (from === to) return;
  const p = wasmType(from);
  if (p === 'f32' || p === 'f64') castFromFloat(fc.code, p, to);
  else castFromInt(fc.code, from, to);
}

function intCall(fc: FuncContext, fn: MathFn, dtype: DType): void {
  switch (fn) {
    case 'floor':
    case 'ceil':
    case 'round':
      return;
    case 'abs': {
      const p = wasmType(dtype) as 'i32' | 'i64';
      const x = fc.temp(p);
      const c = fc.code;
      c.localSet(x);
      if (p === 'i64') c.i64Const(0);
      else c.i32Const(0);
      c.localGet(x).op(opName(p, 'sub')).localGet(x).localGet(x);
      if (p === 'i64') c.i64Const(0).op('i64.lt_s');
      else c.i32Const(0).op('i32.lt_s');
      c.op('select');
      normalize(c, dtype);
      return;
    }
    default:
      throw fc.error(`${fn} is not defined on ${dtype}`);
  }
}

/** fn(args) with the arguments on the stack. */
export function applyCall(fc: FuncContext, fn: MathFn, dtype: DType): void {
  if (!isFloat(dtype)) return intCall(fc, fn, dtype);
  const p = wasmType(dtype) as 'f32' | 'f64';
  const c = fc.code;
  switch (fn) {
    case 'sqrt':
    case 'abs':
    case 'floor':
    case 'ceil':
      c.op(opName(p, fn));
      return;
    case 'round':
      c.op(opName(p, 'nearest'));
      return;
    case 'rsqrt': {
      const x = fc.temp(p);
      c.op(opName(p, 'sqrt')).localSet(x);
      if (p === 'f32') c.f32Const(1);
      else c.f64Const(1);
      c.localGet(x).op(opName(p, 'div'));
      return;
    }
    default:
      c.call(fc.mod.math.scalar(fn, dtype === 'float64' ? 'float64' : 'float32'));
  }
}
