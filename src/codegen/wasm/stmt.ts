/**
 * @file TIR statements. Loops become do-while loops over a local (guarded when the trip count
 * is not a constant); `allocate` carves a fixed slot from this thread's stack region; `assert`
 * stores its message number in the control block and traps; `attr` only annotates.
 */

import type { Buffer, Expr, IntImm, Var } from '../../ir/expr.js';
import { constInt, intImm } from '../../ir/expr.js';
import { transform } from '../../ir/visit.js';
import { mutateStmt } from '../../tir/visit.js';
import { bytesOf } from '../../ir/dtype.js';
import type { For, Stmt, Store } from '../../tir/stmt.js';
import type { FuncContext } from './context.js';
import { wasmType } from './context.js';
import { align, CTRL } from './layout.js';
import { bufferElems } from '../abi.js';
import { flatIndex, isNonNegative, pushAddress, storeScalar } from './memory.js';
import type { Op } from './opcodes.js';
import { emitConst } from './ops.js';
import { emitParallel } from './outline.js';
import { constIndex, constLanes, planRegisters, registerTargets } from './registers.js';
import { emitScalar } from './scalar.js';
import { shareSubexpressions } from './share.js';
import { bindLet, storeVector } from './vector.js';

/** Loops marked unrolled with a constant trip count up to this are copied out. */
const UNROLL_LIMIT = 64;

export function emitStmt(fc: FuncContext, s: Stmt): void {
  const mark = fc.mark();
  emitStmtBody(fc, s);
  fc.release(mark);
}

function emitStmtBody(fc: FuncContext, s: Stmt): void {
  const c = fc.code;
  switch (s.kind) {
    case 'store':
      emitStore(fc, s.buffer, s.indices, s.value);
      return;
    case 'for':
      emitFor(fc, s);
      return;
    case 'allocate':
      emitAllocate(fc, s.buffer, s.body);
      return;
    case 'if':
      if (s.cond.lanes !== 1) throw fc.error('if with a vector condition');
      emitScalar(fc, s.cond);
      c.if(null, () => emitStmt(fc, s.then), s.otherwise ? () => emitStmt(fc, s.otherwise!) : undefined);
      return;
    case 'let':
      bindLet(fc, s.v, s.value, () => emitStmt(fc, s.body));
      return;
    case 'assert':
      emitAssert(fc, s.cond, s.message);
      emitStmt(fc, s.body);
      return;
    case 'seq':
      emitSeq(fc, s.body);
      return;
    case 'attr':
      emitStmt(fc, s.body);
      return;
    case 'noop':
      return;
  }
}

/** Emits a sequence; runs of two or more stores share their common subexpressions (share.ts). */
function emitSeq(fc: FuncContext, body: readonly Stmt[]): void {
  let run: Store[] = [];
  const flush = (): void => {
    const shared = run.length > 1 ? shareSubexpressions(run) : null;
    if (shared) emitStmt(fc, shared);
    else for (const st of run) emitStmt(fc, st);
    run = [];
  };
  for (const b of body) {
    if (b.kind === 'store') {
      run.push(b);
      continue;
    }
    flush();
    emitStmt(fc, b);
  }
  flush();
}

function emitStore(fc: FuncContext, buf: Buffer, indices: readonly Expr[], value: Expr): void {
  if (value.lanes > 1 || indices.some((i) => i.lanes > 1)) {
    storeVector(fc, buf, indices, value);
    return;
  }
  const loc = fc.buffer(buf);
  if (loc.kind === 'registers') {
    emitScalar(fc, value);
    fc.code.localSet(registerTargets(loc.file, constLanes(flatIndex(fc, buf, indices))!)[0]);
    return;
  }
  const offset = pushAddress(fc, buf, { kind: 'expr', expr: flatIndex(fc, buf, indices) }, 0, (x) => emitScalar(fc, x));
  emitScalar(fc, value);
  storeScalar(fc, buf.dtype, offset);
}

function emitAllocate(fc: FuncContext, buf: Buffer, body: Stmt): void {
  if (buf.scope === 'shared') throw fc.error(`buffer #${buf.id} has GPU 'shared' scope, which the wasm target does not have`);
  const file = planRegisters(fc, buf, body);
  if (file) {
    fc.buffers.set(buf.id, { kind: 'registers', file });
    emitStmt(fc, body);
    fc.buffers.delete(buf.id);
    return;
  }
  const offset = fc.stackDepth;
  fc.stackDepth += align(bufferElems(buf) * bytesOf(buf.dtype), 16);
  fc.mod.maxStack = Math.max(fc.mod.maxStack, fc.stackDepth);
  const base = fc.temp('i32');
  fc.code.localGet(fc.stackBase).i32Const(offset).op('i32.add').localSet(base);
  fc.buffers.set(buf.id, { kind: 'dynamic', base });
  emitStmt(fc, body);
  fc.buffers.delete(buf.id);
  fc.stackDepth = offset;
}

function emitAssert(fc: FuncContext, cond: Expr, message: string): void {
  let index = fc.mod.messages.indexOf(message);
  if (index < 0) index = fc.mod.messages.push(message) - 1;
  const c = fc.code;
  emitScalar(fc, cond);
  c.op('i32.eqz');
  c.if(null, () => void c.i32Const(0).i32Const(index + 1).mem('i32.store', CTRL.err).op('unreachable'));
}

function emitFor(fc: FuncContext, s: For): void {
  if (s.forKind === 'thread') throw fc.error(`a loop bound to ${s.threadTag ?? 'a GPU thread axis'}: GPU thread axes do not exist on the wasm target`);
  if (s.forKind === 'parallel' && fc.mod.parallel && !fc.inTask && s.loopVar.dtype === 'int32') {
    emitParallel(fc, s);
    return;
  }
  const extent = constInt(s.extent);
  if (extent !== undefined && extent <= 0) return;
  const unroll = fc.unroll.has(s.loopVar.id) || (s.forKind === 'unrolled' && extent !== undefined && extent <= UNROLL_LIMIT);
  if (unroll && extent !== undefined) emitUnrolled(fc, s, extent);
  else emitSerial(fc, s);
}

function emitUnrolled(fc: FuncContext, s: For, extent: number): void {
  const minC = constInt(s.min);
  if (minC !== undefined) {
    // constant indices let each copy address register files and offset immediates directly
    for (let k = 0; k < extent; k++) {
      const value = intImm(minC + k, s.loopVar.dtype);
      emitStmt(fc, mutateStmt(s.body, { expr: (e) => withLoopValue(e, s.loopVar, value) }));
    }
    return;
  }
  const t = wasmType(s.loopVar.dtype);
  const c = fc.code;
  const min = fc.temp(t);
  const v = fc.temp(t);
  emitScalar(fc, s.min);
  c.localSet(min);
  const nonNegative = isNonNegative(fc, s.min);
  for (let k = 0; k < extent; k++) {
    c.localGet(min);
    emitConst(c, k, s.loopVar.dtype);
    c.op(t === 'i64' ? 'i64.add' : 'i32.add').localSet(v);
    fc.scoped(s.loopVar.id, { kind: 'scalar', local: v, nonNegative }, () => emitStmt(fc, s.body));
  }
}

/** `e` with `v` replaced by `value` and the integer arithmetic that becomes constant folded. */
function withLoopValue(e: Expr, v: Var, value: IntImm): Expr {
  return transform(e, (n) => {
    if (n.kind === 'var') return n.id === v.id ? value : undefined;
    if (n.kind !== 'binary' || n.lanes !== 1 || (n.dtype !== 'int32' && n.dtype !== 'int64')) return undefined;
    const folded = constIndex(n);
    return folded === undefined ? undefined : intImm(folded, n.dtype);
  });
}

function emitSerial(fc: FuncContext, s: For): void {
  const t = wasmType(s.loopVar.dtype);
  if (t !== 'i32' && t !== 'i64') throw fc.error(`loop variable of type ${s.loopVar.dtype}`);
  const c = fc.code;
  const op = (suffix: string): Op => `${t}.${suffix}` as Op;
  const v = fc.temp(t);
  emitScalar(fc, s.min);
  c.localSet(v);
  const nonNegative = isNonNegative(fc, s.min);
  const minC = constInt(s.min);
  const extC = constInt(s.extent);
  let pushEnd: () => void;
  if (minC !== undefined && extC !== undefined) {
    pushEnd = () => emitConst(c, minC + extC, s.loopVar.dtype);
  } else {
    const end = fc.temp(t);
    c.localGet(v);
    emitScalar(fc, s.extent);
    c.op(op('add')).localSet(end);
    pushEnd = () => void c.localGet(end);
  }
  const loop = (): void => {
    c.loop(null, (top) => {
      fc.scoped(s.loopVar.id, { kind: 'scalar', local: v, nonNegative }, () => emitStmt(fc, s.body));
      c.localGet(v);
      emitConst(c, 1, s.loopVar.dtype);
      c.op(op('add')).localTee(v);
      pushEnd();
      c.op(op('lt_s')).brIf(top);
    });
  };
  if (extC !== undefined) {
    loop();
    return;
  }
  c.block(null, (exit) => {
    c.localGet(v);
    pushEnd();
    c.op(op('ge_s')).brIf(exit);
    loop();
  });
}
