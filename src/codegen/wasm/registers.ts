/**
 * @file Register promotion of small `local` buffers. Schedules keep accumulators in a `local`
 * stage (a GEMM register tile, a reduction's partial sums) expecting a compiler to hold them in
 * registers, which C compilers do; V8 never keeps linear memory in registers. So a local buffer
 * of at most 64 elements whose every access has a constant index becomes wasm locals: one v128
 * per 4 elements when it is only ever accessed in aligned groups of 4 (float32/int32), else one
 * local per element.
 *
 *   allocate acc: float32[4] local          (locals acc0: v128)
 *   acc[ramp(0, 1, 4)] = x4(0.0f)           acc0 = f32x4.splat(0)
 *   acc[ramp(0, 1, 4)] = acc[…] + …         acc0 = f32x4.add(acc0, …)
 *
 * Loads copy the registers into temporaries, so a later store cannot change a value read before.
 */

import type { DType } from '../../ir/dtype.js';
import type { Buffer, Expr } from '../../ir/expr.js';
import { constInt, intImm } from '../../ir/expr.js';
import { freeVars, substitute, visit } from '../../ir/visit.js';
import type { For, Stmt } from '../../tir/stmt.js';
import { stmtChildren, stmtExprs } from '../../tir/visit.js';
import { bufferElems } from '../abi.js';
import type { Local } from './code.js';
import type { FuncContext, VecVal } from './context.js';
import { wasmType } from './context.js';
import { flatIndex } from './memory.js';

/** The largest buffer (in elements) kept in locals. */
const MAX_ELEMENTS = 64;

export interface RegisterFile {
  readonly dtype: DType;
  /** v128 locals holding 4 elements each, or one local per element */
  readonly packed: boolean;
  readonly regs: readonly Local[];
}

/** The value of an integer expression built from constants only. */
export function constIndex(e: Expr): number | undefined {
  if (e.kind === 'int') return e.value;
  if (e.kind !== 'binary' || (e.op !== 'add' && e.op !== 'sub' && e.op !== 'mul')) return undefined;
  const [a, b] = [constIndex(e.a), constIndex(e.b)];
  if (a === undefined || b === undefined) return undefined;
  return e.op === 'add' ? a + b : e.op === 'sub' ? a - b : a * b;
}

/** The constant element indices an access touches (one per lane), or undefined when not constant. */
export function constLanes(index: Expr): number[] | undefined {
  if (index.kind === 'ramp') {
    const base = constIndex(index.base);
    return base === undefined ? undefined : Array.from({ length: index.lanes }, (_, k) => base + k * index.stride);
  }
  if (index.kind === 'broadcast') {
    const v = constIndex(index.value);
    return v === undefined ? undefined : Array<number>(index.lanes).fill(v);
  }
  const v = constIndex(index);
  return v === undefined ? undefined : [v];
}

/** Whether a lane list is an aligned group of whole v128s: 4k, 4k+1, … */
function alignedGroups(lanes: readonly number[]): boolean {
  return lanes.length % 4 === 0 && lanes[0] % 4 === 0 && lanes.every((l, k) => l === lanes[0] + k);
}

/** The most copies of a body that unrolling loops for a register file may make. */
const MAX_UNROLLED = 64;

/**
 * The constant lanes an access touches for every iteration of the loops it depends on, or
 * undefined when it depends on anything else. Such loops (a register tile's write-back
 * `for (i, 0, 6) C[…] = acc[ramp(i * 8, 1, 8)]`, say) are added to `unroll`.
 */
function accessLanes(index: Expr, loops: readonly For[], unroll: Set<number>): number[][] | undefined {
  const direct = constLanes(index);
  if (direct) return [direct];
  const used: For[] = [];
  for (const v of freeVars(index).values()) {
    const loop = loops.find((l) => l.loopVar.id === v.id);
    if (!loop || (loop.forKind !== 'serial' && loop.forKind !== 'unrolled') || constInt(loop.min) === undefined || constInt(loop.extent) === undefined) return undefined;
    used.push(loop);
  }
  let combos: Map<number, Expr>[] = [new Map<number, Expr>()];
  for (const l of used) {
    const [min, extent] = [constInt(l.min)!, constInt(l.extent)!];
    combos = combos.flatMap((m) => Array.from({ length: extent }, (_, k) => new Map<number, Expr>(m).set(l.loopVar.id, intImm(min + k, l.loopVar.dtype))));
    if (combos.length > MAX_UNROLLED) return undefined;
  }
  const out: number[][] = [];
  for (const m of combos) {
    const lanes = constLanes(substitute(index, m));
    if (!lanes) return undefined;
    out.push(lanes);
  }
  for (const l of used) unroll.add(l.loopVar.id);
  return out;
}

/**
 * Locals for `buf` when it can live in them for all of `body`, else null. Buffers a parallel
 * loop could see stay in memory, since an outlined task runs in another function. Loops whose
 * variable an index uses are unrolled (recorded in `fc.unroll`), so every index is a constant.
 */
export function planRegisters(fc: FuncContext, buf: Buffer, body: Stmt): RegisterFile | null {
  const elems = bufferElems(buf);
  if (buf.scope !== 'local' || elems > MAX_ELEMENTS) return null;
  let ok = true;
  let aligned = buf.dtype === 'float32' || buf.dtype === 'int32';
  const unroll = new Set<number>();
  const check = (indices: readonly Expr[], loops: readonly For[]): void => {
    const all = accessLanes(flatIndex(fc, buf, indices), loops, unroll);
    if (!all || all.some((lanes) => lanes.some((l) => l < 0 || l >= elems))) ok = false;
    else aligned &&= all.every(alignedGroups);
  };
  const walk = (s: Stmt, loops: readonly For[]): void => {
    if (!ok) return;
    if (s.kind === 'for' && s.forKind === 'parallel') ok = false;
    if (s.kind === 'store' && s.buffer.id === buf.id) check(s.indices, loops);
    for (const e of stmtExprs(s)) {
      visit(e, (n) => {
        if (n.kind === 'load' && n.buffer.id === buf.id) check(n.indices, loops);
      });
    }
    const inner = s.kind === 'for' ? [...loops, s] : loops;
    for (const c of stmtChildren(s)) walk(c, inner);
  };
  walk(body, []);
  if (!ok) return null;
  for (const id of unroll) fc.unroll.add(id);
  const count = aligned ? Math.ceil(elems / 4) : elems;
  const regs = Array.from({ length: count }, () => fc.temp(aligned ? 'v128' : wasmType(buf.dtype)));
  return { dtype: buf.dtype, packed: aligned, regs };
}

/** Copies the elements at `lanes` out of the registers. */
export function readRegisters(fc: FuncContext, rf: RegisterFile, lanes: readonly number[]): VecVal | Local {
  const copy = (l: Local): Local => {
    const t = fc.temp(l.type);
    fc.code.localGet(l).localSet(t);
    return t;
  };
  if (rf.packed) {
    const parts = Array.from({ length: lanes.length / 4 }, (_, j) => copy(rf.regs[lanes[0] / 4 + j]));
    return { form: 'packed', dtype: rf.dtype, lanes: lanes.length, parts };
  }
  if (lanes.length === 1) return copy(rf.regs[lanes[0]]);
  return { form: 'lanes', dtype: rf.dtype, lanes: lanes.length, parts: lanes.map((l) => copy(rf.regs[l])) };
}

/** The register each lane (packed: each v128 part) of a store goes to. */
export function registerTargets(rf: RegisterFile, lanes: readonly number[]): readonly Local[] {
  if (rf.packed) return Array.from({ length: lanes.length / 4 }, (_, j) => rf.regs[lanes[0] / 4 + j]);
  return lanes.map((l) => rf.regs[l]);
}
