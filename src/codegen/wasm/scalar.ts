/**
 * @file Scalar expressions: each pushes exactly one value of its dtype's wasm type.
 *
 * Conditional values whose untaken side might trap (a load that is only in bounds when the
 * condition holds, an integer division guarded against zero) are compiled as if/else and
 * short-circuit and/or; everything else uses the branch-free `select`.
 */

import type { Expr } from '../../ir/expr.js';
import { visit } from '../../ir/visit.js';
import type { FuncContext } from './context.js';
import { wasmType } from './context.js';
import { flatIndex, isNonNegative, loadScalar, positiveConstant, pushAddress } from './memory.js';
import { constLanes, registerTargets } from './registers.js';
import { applyBinary, applyCall, applyCast, applyCmp, applyPow2Floor, emitConst, pow2Divisor } from './ops.js';
import { rootExponent } from './math/library.js';
import { bindLet } from './vector.js';

/** True when evaluating `e` eagerly could trap: it reads memory or divides integers by a non-constant. */
export function mayTrap(e: Expr): boolean {
  let found = false;
  visit(e, (n) => {
    if (found) return false;
    if (n.kind === 'load') found = true;
    if (n.kind === 'binary' && (n.op === 'div' || n.op === 'mod' || n.op === 'floordiv' || n.op === 'floormod')) {
      const divisor = n.b.kind === 'broadcast' ? n.b.value : n.b;
      const safe = n.dtype === 'float32' || n.dtype === 'float64' || (divisor.kind === 'int' && divisor.value !== 0 && divisor.value !== -1);
      if (!safe) found = true;
    }
  });
  return found;
}

function emitSelect(fc: FuncContext, e: Expr & { kind: 'select' }): void {
  const c = fc.code;
  if (mayTrap(e.t) || mayTrap(e.f)) {
    emitScalar(fc, e.cond);
    c.if(wasmType(e.dtype), () => emitScalar(fc, e.t), () => emitScalar(fc, e.f));
    return;
  }
  emitScalar(fc, e.t);
  emitScalar(fc, e.f);
  emitScalar(fc, e.cond);
  c.op('select');
}

function emitLogic(fc: FuncContext, e: Expr & { kind: 'logic' }): void {
  const c = fc.code;
  emitScalar(fc, e.a);
  if (mayTrap(e.b)) {
    if (e.op === 'and') c.if('i32', () => emitScalar(fc, e.b), () => void c.i32Const(0));
    else c.if('i32', () => void c.i32Const(1), () => emitScalar(fc, e.b));
    return;
  }
  emitScalar(fc, e.b);
  c.op(e.op === 'and' ? 'i32.and' : 'i32.or');
}

/** An int32/int64 division or remainder of a dividend known ≥ 0 by a positive constant. */
function unsignedDivision(fc: FuncContext, e: Expr & { kind: 'binary' }): boolean {
  if (e.dtype !== 'int32' && e.dtype !== 'int64') return false;
  if (e.op !== 'floordiv' && e.op !== 'floormod' && e.op !== 'div' && e.op !== 'mod') return false;
  return positiveConstant(e.b) !== undefined && isNonNegative(fc, e.a);
}

/** Pushes the value of the scalar expression `e`. */
export function emitScalar(fc: FuncContext, e: Expr): void {
  const c = fc.code;
  if (e.lanes !== 1) throw fc.error(`a ${e.lanes}-lane ${e.kind} where a scalar is expected`);
  switch (e.kind) {
    case 'int':
    case 'float':
      emitConst(c, e.value, e.dtype);
      return;
    case 'var': {
      const b = fc.binding(e.id);
      if (b.kind !== 'scalar') throw fc.error(`vector variable #${e.id} used as a scalar`);
      c.localGet(b.local);
      return;
    }
    case 'binary': {
      emitScalar(fc, e.a);
      const k = pow2Divisor(e);
      if (k !== undefined) {
        applyPow2Floor(fc, e.op, e.dtype, k);
        return;
      }
      emitScalar(fc, e.b);
      if (unsignedDivision(fc, e)) {
        // both operands ≥ 0: rounding toward −∞ or zero agree, and V8 turns an unsigned division by a constant into a multiply
        const wide = e.dtype === 'int64';
        c.op(e.op === 'floordiv' || e.op === 'div' ? (wide ? 'i64.div_u' : 'i32.div_u') : wide ? 'i64.rem_u' : 'i32.rem_u');
        return;
      }
      applyBinary(fc, e.op, e.dtype);
      return;
    }
    case 'cmp':
      emitScalar(fc, e.a);
      emitScalar(fc, e.b);
      applyCmp(fc, e.op, e.a.dtype);
      return;
    case 'logic':
      emitLogic(fc, e);
      return;
    case 'not':
      emitScalar(fc, e.a);
      c.op('i32.eqz');
      return;
    case 'select':
      emitSelect(fc, e);
      return;
    case 'cast':
      emitScalar(fc, e.value);
      applyCast(fc, e.value.dtype, e.dtype);
      return;
    case 'call': {
      const y = e.fn === 'pow' && e.dtype === 'float32' ? rootExponent(e.args[1]) : null;
      if (y !== null) {
        emitScalar(fc, e.args[0]);
        c.call(fc.mod.math.rootPow(y, 'f32'));
        return;
      }
      for (const a of e.args) emitScalar(fc, a);
      applyCall(fc, e.fn, e.dtype);
      return;
    }
    case 'load': {
      const index = flatIndex(fc, e.buffer, e.indices);
      const loc = fc.buffer(e.buffer);
      if (loc.kind === 'registers') {
        // a lane of a packed file is read on its own where a masked vector op runs lane by lane
        const lane = constLanes(index)?.[0];
        if (lane === undefined) throw fc.error(`buffer #${e.buffer.id} in locals read at a variable index`);
        if (loc.file.packed) c.localGet(loc.file.regs[lane >> 2]).lane(e.dtype === 'float32' ? 'f32x4.extract_lane' : 'i32x4.extract_lane', lane & 3);
        else c.localGet(registerTargets(loc.file, [lane])[0]);
        return;
      }
      const offset = pushAddress(fc, e.buffer, { kind: 'expr', expr: index }, 0, (x) => emitScalar(fc, x));
      loadScalar(fc, e.dtype, offset);
      return;
    }
    case 'let':
      bindLet(fc, e.v, e.value, () => emitScalar(fc, e.body));
      return;
    case 'ramp':
      emitScalar(fc, e.base);
      return;
    case 'broadcast':
      emitScalar(fc, e.value);
      return;
    case 'tensorRead':
    case 'reduce':
      throw fc.error(`${e.kind} is a tensor-expression node; lower the function to TIR first`);
  }
}
