/**
 * @file Outlining of parallel loops. The body of `parallel (i, min, extent)` becomes a function
 * `task(lo, hi)` that runs iterations [lo, hi). Values the body reads from the enclosing scope
 * (variables and the addresses of allocated buffers) are written to the closure slots in shared
 * memory before the job starts and read back by the task on whichever thread runs it.
 *
 * A task's own allocations start at the depth the enclosing function had reached, so when the
 * calling thread runs chunks itself they cannot overlap the buffers that are still live there.
 */

import type { For, Stmt } from '../../tir/stmt.js';
import { visitStmt } from '../../tir/visit.js';
import type { Local } from './code.js';
import type { Binding, BufferLoc } from './context.js';
import { FuncContext } from './context.js';
import { CLOSURE_OFFSET, CLOSURE_SLOT_BYTES, CLOSURE_SLOTS } from './layout.js';
import { isNonNegative } from './memory.js';
import type { MemOp, ValType } from './opcodes.js';
import { emitScalar } from './scalar.js';
import { emitStmt } from './stmt.js';
import { iterationWork } from './work.js';

interface Captures {
  readonly vars: readonly [number, Binding][];
  readonly buffers: readonly [number, BufferLoc][];
}

/** The bindings of the enclosing scope that `body` reads. */
function captures(fc: FuncContext, body: Stmt): Captures {
  const varIds = new Set<number>();
  const bufferIds = new Set<number>();
  visitStmt(
    body,
    (s) => {
      if (s.kind === 'store') bufferIds.add(s.buffer.id);
    },
    (e) => {
      if (e.kind === 'var') varIds.add(e.id);
      if (e.kind === 'load') bufferIds.add(e.buffer.id);
    },
  );
  const vars = [...varIds].flatMap((id): [number, Binding][] => {
    const b = fc.vars.get(id);
    return b ? [[id, b]] : [];
  });
  const buffers = [...bufferIds].flatMap((id): [number, BufferLoc][] => {
    const loc = fc.buffers.get(id);
    return loc ? [[id, loc]] : [];
  });
  return { vars, buffers };
}

function locals(b: Binding | BufferLoc): readonly Local[] {
  if (b.kind === 'scalar') return [b.local];
  if (b.kind === 'vector') return b.value.parts;
  if (b.kind === 'dynamic') return [b.base];
  return [];
}

const SLOT_STORE: Readonly<Record<ValType, MemOp | 'v128'>> = { i32: 'i32.store', i64: 'i64.store', f32: 'f32.store', f64: 'f64.store', v128: 'v128' };
const SLOT_LOAD: Readonly<Record<ValType, MemOp | 'v128'>> = { i32: 'i32.load', i64: 'i64.load', f32: 'f32.load', f64: 'f64.load', v128: 'v128' };

function slotOffset(i: number): number {
  return CLOSURE_OFFSET + i * CLOSURE_SLOT_BYTES;
}

function writeSlot(fc: FuncContext, i: number, l: Local): void {
  const c = fc.code.i32Const(0).localGet(l);
  const op = SLOT_STORE[l.type];
  if (op === 'v128') c.simdMem('v128.store', slotOffset(i));
  else c.mem(op, slotOffset(i));
}

function readSlot(fc: FuncContext, i: number, type: ValType): Local {
  const l = fc.fb.local(type);
  const c = fc.code.i32Const(0);
  const op = SLOT_LOAD[type];
  if (op === 'v128') c.simdMem('v128.load', slotOffset(i));
  else c.mem(op, slotOffset(i));
  c.localSet(l);
  return l;
}

/** Builds the task function for `s` and returns it; `min` is in closure slot 0. */
function buildTask(fc: FuncContext, s: For, caps: Captures, name: string): FuncContext {
  const fb = fc.mod.mb.func(name, { params: ['i32', 'i32'], results: [] });
  const tc = new FuncContext(fc.mod, fb, fc.where, true, fc.stackDepth);
  let slot = 1;
  const min = readSlot(tc, 0, 'i32');
  for (const [id, b] of caps.vars) {
    const parts = locals(b).map((l) => readSlot(tc, slot++, l.type));
    tc.vars.set(id, b.kind === 'scalar' ? { kind: 'scalar', local: parts[0], nonNegative: b.nonNegative } : { kind: 'vector', value: { ...b.value, parts } });
  }
  for (const [id, loc] of caps.buffers) if (loc.kind === 'dynamic') tc.buffers.set(id, { kind: 'dynamic', base: readSlot(tc, slot++, 'i32') });
  const [lo, hi] = fb.params as [Local, Local];
  const c = tc.code;
  const v = fb.local('i32');
  const end = fb.local('i32');
  c.localGet(min).localGet(lo).op('i32.add').localSet(v);
  c.localGet(min).localGet(hi).op('i32.add').localSet(end);
  c.block(null, (exit) => {
    c.localGet(v).localGet(end).op('i32.ge_s').brIf(exit);
    c.loop(null, (top) => {
      tc.scoped(s.loopVar.id, { kind: 'scalar', local: v, nonNegative: isNonNegative(fc, s.min) }, () => emitStmt(tc, s.body));
      c.localGet(v).i32Const(1).op('i32.add').localTee(v).localGet(end).op('i32.lt_s').brIf(top);
    });
  });
  return tc;
}

/** Emits a parallel loop as a job for the thread pool. */
export function emitParallel(fc: FuncContext, s: For): void {
  const parallel = fc.mod.parallel!;
  const caps = captures(fc, s.body);
  const slots: Local[] = [fc.temp('i32'), ...caps.vars.flatMap(([, b]) => locals(b)), ...caps.buffers.flatMap(([, b]) => locals(b))];
  if (slots.length > CLOSURE_SLOTS) throw fc.error(`a parallel loop reads ${slots.length - 1} outer values; at most ${CLOSURE_SLOTS - 1} fit the closure`);
  const c = fc.code;
  emitScalar(fc, s.min);
  c.localSet(slots[0]);
  const extent = fc.temp('i32');
  emitScalar(fc, s.extent);
  c.localSet(extent);
  slots.forEach((l, i) => writeSlot(fc, i, l));
  const task = buildTask(fc, s, caps, `${fc.fb.name}_task${parallel.taskCount}`);
  const site = parallel.addTask(task.fb.ref);
  c.i32Const(site).localGet(extent).i32Const(iterationWork(s)).call(parallel.dispatch.ref);
}
