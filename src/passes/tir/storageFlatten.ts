/**
 * @file `tir.storageFlatten`: multi-dimensional buffers become flat 1-D arrays.
 *
 * Every access `B[i0, …, ik]` becomes `B[i0·s0 + … + ik·sk]` with the buffer's strides (its own
 * when padded by storage alignment, dense row-major otherwise), and every buffer — params
 * included — gets the shape `[span]`, where span is the largest flat offset + 1.
 *
 *   before:  func f(A: float32[4, 8], B: float32[4, 8]) { for (i, 0, 4) { for (j, 0, 8) {
 *              B[i, j] = A[i, j] } } }
 *   after:   func f(A: float32[32], B: float32[32]) { for (i, 0, 4) { for (j, 0, 8) {
 *              B[i * 8 + j] = A[i * 8 + j] } } }
 *
 * Callers map buffers across the pass by identity of declaration: a flattened buffer keeps the
 * `id`, `name`, `dtype` and `scope` of the original (only `shape` and `strides` change), and the
 * params keep their order, so a runtime binds arguments by param position or by buffer id.
 * `storage_align` attrs are consumed here (their effect is already in the buffer's strides).
 */

import type { Buffer, Expr } from '../../ir/expr.js';
import { add, broadcast, intImm, load, mul } from '../../ir/expr.js';
import { transform } from '../../ir/visit.js';
import type { PrimFunc, Stmt } from '../../tir/stmt.js';
import { allocate, store } from '../../tir/stmt.js';
import { mutateStmt } from '../../tir/visit.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';
import { spanOf, stridesOf } from './common.js';

/** The 1-D version of `b` (the same object when it already is flat and dense). */
export function flatBuffer(b: Buffer): Buffer {
  if (b.shape.length === 1 && (b.strides === null || b.strides[0] === 1)) return b.strides ? { ...b, strides: null } : b;
  return { ...b, shape: [spanOf(b)], strides: null };
}

const widen = (e: Expr, lanes: number): Expr => (e.lanes === lanes ? e : broadcast(e, lanes));

/** `Σ index_k · stride_k`, leaving out zero terms and unit multipliers; vector indices stay vectors. */
export function flatIndex(b: Buffer, indices: readonly Expr[]): Expr {
  const strides = stridesOf(b);
  let acc: Expr | null = null;
  indices.forEach((ix, k) => {
    const s = strides[k];
    if (s === 0 || (ix.kind === 'int' && ix.value === 0)) return;
    const term = s === 1 ? ix : mul(ix, widen(intImm(s, ix.dtype), ix.lanes));
    if (acc === null) {
      acc = term;
      return;
    }
    const lanes = Math.max(acc.lanes, term.lanes);
    acc = add(widen(acc, lanes), widen(term, lanes));
  });
  return acc ?? intImm(0);
}

function flattenFunc(f: PrimFunc): PrimFunc {
  const flat = new Map<number, Buffer>();
  const flatOf = (b: Buffer): Buffer => {
    let fb = flat.get(b.id);
    if (!fb) {
      fb = flatBuffer(b);
      flat.set(b.id, fb);
    }
    return fb;
  };
  const rewriteExpr = (e: Expr): Expr =>
    transform(e, (n) => (n.kind === 'load' ? load(flatOf(n.buffer), [flatIndex(n.buffer, n.indices)]) : undefined));
  const body = mutateStmt(f.body, {
    expr: rewriteExpr,
    post(s: Stmt): Stmt | undefined {
      switch (s.kind) {
        case 'store':
          return store(flatOf(s.buffer), [flatIndex(s.buffer, s.indices)], s.value);
        case 'allocate':
          return allocate(flatOf(s.buffer), s.body);
        case 'attr':
          if (s.key === 'storage_align') return s.body;
          return s.buffer ? { ...s, buffer: flatOf(s.buffer) } : undefined;
        default:
          return undefined;
      }
    },
  });
  return { ...f, params: f.params.map(flatOf), body };
}

export const storageFlatten: Pass<PrimFunc> = definePass({
  name: 'tir.storageFlatten',
  run: (f) => flattenFunc(f),
});
