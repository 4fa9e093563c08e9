/**
 * @file `tir.injectDoubleBuffer`: overlaps filling a buffer with consuming it, one iteration apart.
 *
 * `attr double_buffer S { fill }` as a statement of a serial loop `k` means: `fill` writes S from
 * data that does not change inside the loop, and the rest of the body consumes S. The buffer gets
 * a leading dimension of 2; iteration k's copy is filled before the loop (k = min) or during the
 * previous iteration, into half `floormod(k - min, 2)`, while consumers read that same half. The
 * attr disappears. If the loop or the body does not fit that contract (the fill reads something
 * the loop writes, the buffer is used outside the loop, the loop is not serial …) only the attr
 * is dropped, which is always correct.
 *
 *   before:  allocate S: float32[4] local
 *            for (k, 0, 8) {
 *              attr double_buffer S [] { for (x, 0, 4) { S[x] = A[k * 4 + x] } }
 *              for (x, 0, 4) { C[0] = C[0] + S[x] }
 *            }
 *   after:   allocate S: float32[2, 4] local
 *            for (x, 0, 4) { S[0, x] = A[0 * 4 + x] }
 *            for (k, 0, 8) {
 *              if (k + 1 < 8) { for (x, 0, 4) { S[floormod(k + 1, 2), x] = A[(k + 1) * 4 + x] } }
 *              for (x, 0, 4) { C[0] = C[0] + S[floormod(k, 2), x] }
 *            }
 */

import type { Buffer, Expr } from '../../ir/expr.js';
import { add, floormod, gt, intImm, load, lt, sub } from '../../ir/expr.js';
import { transform } from '../../ir/visit.js';
import type { Allocate, Attr, For, PrimFunc, Stmt } from '../../tir/stmt.js';
import { NOOP, allocate, ifThenElse, seq, store } from '../../tir/stmt.js';
import { mutateStmt, visitStmt } from '../../tir/visit.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';
import { bufferUse, mentionsBuffer, spanOf, substituteVarStmt } from './common.js';

/** A loop body seen through the allocations that open it. */
interface Peeled {
  readonly allocs: readonly Allocate[];
  readonly items: readonly Stmt[];
}

function peel(body: Stmt): Peeled {
  const allocs: Allocate[] = [];
  let s = body;
  while (s.kind === 'allocate') {
    allocs.push(s);
    s = s.body;
  }
  return { allocs, items: s.kind === 'seq' ? s.body : [s] };
}

function rewrap(allocs: readonly Allocate[], items: readonly Stmt[]): Stmt {
  return allocs.reduceRight<Stmt>((body, a) => allocate(a.buffer, body), seq(...items));
}

const isDoubleBuffer = (s: Stmt, id?: number): s is Attr =>
  s.kind === 'attr' && s.key === 'double_buffer' && s.buffer !== null && (id === undefined || s.buffer.id === id);

/** Moves allocations of double-buffered buffers from inside their loop to just outside it. */
function hoistAllocations(s: Stmt): Stmt {
  return mutateStmt(s, {
    post(st) {
      if (st.kind !== 'for') return undefined;
      const { allocs, items } = peel(st.body);
      const hoisted = allocs.filter((a) => items.some((it) => isDoubleBuffer(it, a.buffer.id)));
      if (hoisted.length === 0) return undefined;
      const kept = allocs.filter((a) => !hoisted.includes(a));
      return rewrap(hoisted, [{ ...st, body: rewrap(kept, items) }]);
    },
  });
}

/** The loop whose body (through its allocations) holds `attr double_buffer <id>` directly. */
function findLoop(s: Stmt, id: number): For | undefined {
  let found: For | undefined;
  visitStmt(s, (st) => {
    if (found) return false;
    if (st.kind === 'for' && peel(st.body).items.some((it) => isDoubleBuffer(it, id))) found = st;
  });
  return found;
}

/** Whether rotating S in `loop` computes exactly what the loop computed. */
function canRotate(loop: For, s: Buffer): boolean {
  if (loop.forKind !== 'serial' && loop.forKind !== 'unrolled') return false;
  const { allocs, items } = peel(loop.body);
  const at = items.findIndex((it) => isDoubleBuffer(it, s.id));
  const fill = (items[at] as Attr).body;
  const fillUse = bufferUse(fill);
  if (fillUse.reads.has(s.id) || [...fillUse.writes].some((w) => w !== s.id)) return false;
  if (allocs.some((a) => mentionsBuffer(fill, a.buffer.id))) return false;
  return items.every((it, k) => {
    if (k === at) return true;
    if (k < at && mentionsBuffer(it, s.id)) return false;
    const use = bufferUse(it);
    return !use.writes.has(s.id) && ![...fillUse.reads].some((r) => use.writes.has(r));
  });
}

/** Accesses of `s` in `st` go to half `slot` of the doubled buffer `s2`. */
function retarget(st: Stmt, s: Buffer, s2: Buffer, slot: Expr): Stmt {
  const ex = (e: Expr): Expr =>
    transform(e, (n) => (n.kind === 'load' && n.buffer.id === s.id ? load(s2, [slot, ...n.indices]) : undefined));
  return mutateStmt(st, {
    expr: ex,
    post: (x) => (x.kind === 'store' && x.buffer.id === s.id ? store(s2, [slot, ...x.indices], x.value) : undefined),
  });
}

function rotate(loop: For, s: Buffer, s2: Buffer): Stmt {
  const k = loop.loopVar;
  const rel = loop.min.kind === 'int' && loop.min.value === 0 ? k : sub(k, loop.min);
  const { allocs, items } = peel(loop.body);
  const fill = (items.find((it) => isDoubleBuffer(it, s.id)) as Attr).body;
  let prologue = retarget(substituteVarStmt(fill, k, loop.min), s, s2, intImm(0));
  if (!(loop.extent.kind === 'int' && loop.extent.value > 0)) prologue = ifThenElse(gt(loop.extent, 0), prologue);
  const next = retarget(substituteVarStmt(fill, k, add(k, 1)), s, s2, floormod(add(rel, 1), 2));
  const body = items.map((it) =>
    isDoubleBuffer(it, s.id) ? ifThenElse(lt(add(k, 1), add(loop.min, loop.extent)), next) : retarget(it, s, s2, floormod(rel, 2)),
  );
  return seq(prologue, { ...loop, body: rewrap(allocs, body) });
}

function stripAttr(st: Stmt, id: number): Stmt {
  return mutateStmt(st, { post: (x) => (isDoubleBuffer(x, id) ? x.body : undefined) });
}

/** Double-buffers the allocation `a` if its body asks for it and allows it. */
function rewriteAllocation(a: Allocate): Stmt {
  const s = a.buffer;
  const loop = findLoop(a.body, s.id);
  if (!loop) return allocate(s, stripAttr(a.body, s.id));
  const outside = mutateStmt(a.body, { pre: (x) => (x === loop ? NOOP : undefined) });
  if (mentionsBuffer(outside, s.id) || !canRotate(loop, s)) return allocate(s, stripAttr(a.body, s.id));
  const s2: Buffer = { ...s, shape: [2, ...s.shape], strides: s.strides ? [spanOf(s), ...s.strides] : null };
  const rotated = rotate(loop, s, s2);
  return allocate(s2, mutateStmt(a.body, { pre: (x) => (x === loop ? rotated : undefined) }));
}

export function injectDoubleBufferStmt(body: Stmt): Stmt {
  const hoisted = hoistAllocations(body);
  const rewritten = mutateStmt(hoisted, {
    post: (st) => (st.kind === 'allocate' && mentionsAttr(st.body, st.buffer.id) ? rewriteAllocation(st) : undefined),
  });
  // An attr on a buffer that is not allocated here (a param) cannot be rotated: drop it.
  return mutateStmt(rewritten, { post: (x) => (isDoubleBuffer(x) ? x.body : undefined) });
}

function mentionsAttr(s: Stmt, id: number): boolean {
  let found = false;
  visitStmt(s, (st) => {
    if (found) return false;
    if (isDoubleBuffer(st, id)) found = true;
  });
  return found;
}

export const injectDoubleBuffer: Pass<PrimFunc> = definePass({
  name: 'tir.injectDoubleBuffer',
  run: (f) => ({ ...f, body: injectDoubleBufferStmt(f.body) }),
});
