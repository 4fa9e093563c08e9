/**
 * @file Addresses and scalar memory accesses. An element address is `index << log2(size)`
 * plus the buffer's base, a local (a parameter's address or an allocation's); a constant part of
 * the index rides in the instruction's offset immediate.
 */

import type { DType } from '../../ir/dtype.js';
import { bytesOf } from '../../ir/dtype.js';
import type { Buffer, Expr } from '../../ir/expr.js';
import { add, broadcast, intImm, mul } from '../../ir/expr.js';
import type { Local } from './code.js';
import type { FuncContext } from './context.js';
import type { MemOp } from './opcodes.js';

/** Where an index comes from: an expression to emit, or a local holding it. */
export type IndexSource = { readonly kind: 'expr'; readonly expr: Expr } | { readonly kind: 'local'; readonly local: Local };

const LOAD: Readonly<Record<DType, MemOp>> = {
  float32: 'f32.load', float64: 'f64.load', int32: 'i32.load', int64: 'i64.load',
  int8: 'i32.load8_s', uint8: 'i32.load8_u', bool: 'i32.load8_u',
};
const STORE: Readonly<Record<DType, MemOp>> = {
  float32: 'f32.store', float64: 'f64.store', int32: 'i32.store', int64: 'i64.store',
  int8: 'i32.store8', uint8: 'i32.store8', bool: 'i32.store8',
};

/** The one flat index of an access: given as is, or row-major/strided from one index per dimension. */
export function flatIndex(fc: FuncContext, b: Buffer, indices: readonly Expr[]): Expr {
  if (indices.length === 1) return indices[0];
  if (indices.length !== b.shape.length) throw fc.error(`buffer #${b.id} indexed with ${indices.length} indices, has ${b.shape.length} dimensions`);
  const strides = b.strides ?? b.shape.map((_, i) => b.shape.slice(i + 1).reduce((n, d) => n * d, 1));
  const lanes = Math.max(...indices.map((i) => i.lanes));
  let flat: Expr | null = null;
  indices.forEach((idx, i) => {
    const term = mul(broadcast(idx, idx.lanes === lanes ? 1 : lanes), broadcast(intImm(strides[i], idx.dtype), lanes));
    flat = flat ? add(flat, term) : term;
  });
  return flat!;
}

function log2Size(dtype: DType): number {
  return Math.log2(bytesOf(dtype));
}

/** Whether a scalar integer expression is provably ≥ 0, from constants and bindings known to be. */
export function isNonNegative(fc: FuncContext, e: Expr): boolean {
  switch (e.kind) {
    case 'int':
      return e.value >= 0;
    case 'var': {
      const b = fc.vars.get(e.id);
      return b?.kind === 'scalar' && b.nonNegative === true;
    }
    case 'binary':
      if (e.op === 'add' || e.op === 'mul') return isNonNegative(fc, e.a) && isNonNegative(fc, e.b);
      if (positiveConstant(e.b) === undefined) return false;
      // a remainder toward −∞ takes the divisor's sign; a quotient, the dividend's
      return e.op === 'floormod' || ((e.op === 'floordiv' || e.op === 'div' || e.op === 'mod') && isNonNegative(fc, e.a));
    default:
      return false;
  }
}

/** The value of `e` when it is a positive integer constant (or a broadcast of one). */
export function positiveConstant(e: Expr): number | undefined {
  const d = e.kind === 'broadcast' ? e.value : e;
  return d.kind === 'int' && d.value > 0 ? d.value : undefined;
}

/**
 * `rest + constant` for a scalar int32 index `x + c` or `c + x` with c > 0 and x ≥ 0, else null.
 * x must be known non-negative: a negative x would make a huge unsigned address that traps,
 * where `x + c` itself is a valid index.
 */
function splitConstant(fc: FuncContext, e: Expr): { readonly rest: Expr; readonly constant: number } | null {
  if (e.kind !== 'binary' || e.op !== 'add' || e.dtype !== 'int32' || e.lanes !== 1) return null;
  if (e.b.kind === 'int' && e.b.value > 0 && isNonNegative(fc, e.a)) return { rest: e.a, constant: e.b.value };
  if (e.a.kind === 'int' && e.a.value > 0 && isNonNegative(fc, e.b)) return { rest: e.b, constant: e.a.value };
  return null;
}

/**
 * Pushes the dynamic part of the address of element `index + elemOffset` of `b` and returns the
 * constant part, to be used as the access's offset immediate.
 */
export function pushAddress(fc: FuncContext, b: Buffer, index: IndexSource, elemOffset: number, emitIndex: (e: Expr) => void): number {
  const loc = fc.buffer(b);
  if (loc.kind === 'registers') throw fc.error(`buffer #${b.id} lives in locals and has no address`);
  const size = bytesOf(b.dtype);
  const c = fc.code;
  // `i + c` addresses element c past `i`: the constant rides in the offset immediate
  const split = index.kind === 'expr' ? splitConstant(fc, index.expr) : null;
  if (split && (elemOffset + split.constant) * size <= 0xffffffff) {
    return pushAddress(fc, b, { kind: 'expr', expr: split.rest }, elemOffset + split.constant, emitIndex);
  }
  const constIndex = index.kind === 'expr' && index.expr.kind === 'int' ? index.expr.value + elemOffset : null;
  if (constIndex !== null && constIndex >= 0 && constIndex * size <= 0xffffffff) {
    c.localGet(loc.base);
    return constIndex * size;
  }
  if (index.kind === 'local') {
    c.localGet(index.local);
  } else {
    if (index.expr.dtype === 'float32' || index.expr.dtype === 'float64') throw fc.error(`buffer #${b.id} indexed by a ${index.expr.dtype} value`);
    emitIndex(index.expr);
  }
  const idxType = index.kind === 'local' ? index.local.type : index.expr.dtype === 'int64' ? 'i64' : 'i32';
  if (idxType === 'i64') c.op('i32.wrap_i64');
  // a negative lane offset cannot go in the unsigned immediate, so it is added here
  const immOffset = elemOffset >= 0 ? elemOffset * size : 0;
  if (elemOffset < 0) c.i32Const(elemOffset).op('i32.add');
  const shift = log2Size(b.dtype);
  if (shift > 0) c.i32Const(shift).op('i32.shl');
  c.localGet(loc.base).op('i32.add');
  return immOffset;
}

/** Loads one element; the address must be on the stack, `offset` from pushAddress. */
export function loadScalar(fc: FuncContext, dtype: DType, offset: number): void {
  fc.code.mem(LOAD[dtype], offset);
  // bytes other than 0 and 1 read as true
  if (dtype === 'bool') fc.code.i32Const(0).op('i32.ne');
}

/** Stores one element; address then value must be on the stack. */
export function storeScalar(fc: FuncContext, dtype: DType, offset: number): void {
  fc.code.mem(STORE[dtype], offset);
}
