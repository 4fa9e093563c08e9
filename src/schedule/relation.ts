/**
 * @file How a stage's leaf loops relate to its root axes. A split turns one axis into an outer
 * and an inner loop; a fuse turns several adjacent loops into one. Both the schedule (rfactor
 * rewrites a reduction in terms of its leaves) and lowering (bound inference, loop construction)
 * need the same two walks over these relations, so they live here:
 *
 * - `leafExtents`: root extents → the extent of every derived axis (top-down);
 * - `rootOffsets`: leaf values → every root axis as an expression of the leaves (bottom-up).
 *
 * Extents are recomputed from the root extents at lowering time, because a stage computed inside
 * another one covers only the region its consumer needs, not its whole domain.
 */

import type { Expr, IterVar } from '../ir/expr.js';
import { add, floordiv, floormod, intImm, mul } from '../ir/expr.js';

export type SplitMode = 'factor' | 'nparts';

export interface SplitRelation {
  readonly kind: 'split';
  readonly parent: IterVar;
  readonly outer: IterVar;
  readonly inner: IterVar;
  /** 'factor': `value` is the inner extent; 'nparts': `value` is the outer extent */
  readonly mode: SplitMode;
  readonly value: number;
}

/** `fused` enumerates `inputs` row-major: the last input varies fastest. */
export interface FuseRelation {
  readonly kind: 'fuse';
  readonly inputs: readonly IterVar[];
  readonly fused: IterVar;
}

export type Relation = SplitRelation | FuseRelation;

/**
 * The inner and outer extents of a split of an axis of `extent` points. A factor larger than the
 * extent is clamped, so a split never creates more inner iterations than there are points.
 */
export function splitExtents(mode: SplitMode, value: number, extent: number): { outer: number; inner: number } {
  if (extent <= 0) return { outer: 0, inner: mode === 'factor' ? value : 0 };
  const inner = mode === 'factor' ? Math.min(value, extent) : Math.ceil(extent / value);
  return { outer: Math.ceil(extent / inner), inner };
}

/** The extent of every axis derived from roots whose extents are `roots` (keyed by var id). */
export function leafExtents(relations: readonly Relation[], roots: ReadonlyMap<number, number>): Map<number, number> {
  const ext = new Map(roots);
  const get = (iv: IterVar): number => {
    const e = ext.get(iv.var.id);
    if (e === undefined) throw new Error(`leafExtents: no extent for ${iv.var.name}`);
    return e;
  };
  for (const r of relations) {
    if (r.kind === 'split') {
      const { outer, inner } = splitExtents(r.mode, r.value, get(r.parent));
      ext.set(r.outer.var.id, outer);
      ext.set(r.inner.var.id, inner);
    } else {
      ext.set(r.fused.var.id, r.inputs.reduce((p, iv) => p * get(iv), 1));
    }
  }
  return ext;
}

/**
 * Every axis (roots included) as an expression of the leaf values in `values`, given the extents
 * from `leafExtents`. Root values are offsets from the root's minimum: 0 ≤ value < extent when the
 * splits divide evenly; callers guard the rest.
 */
export function rootOffsets(
  relations: readonly Relation[],
  values: ReadonlyMap<number, Expr>,
  extents: ReadonlyMap<number, number>,
): Map<number, Expr> {
  const val = new Map(values);
  const get = (iv: IterVar): Expr => {
    const v = val.get(iv.var.id);
    if (v === undefined) throw new Error(`rootOffsets: no value for ${iv.var.name}`);
    return v;
  };
  for (let k = relations.length - 1; k >= 0; k--) {
    const r = relations[k];
    if (r.kind === 'split') {
      const factor = extents.get(r.inner.var.id) ?? 1;
      val.set(r.parent.var.id, addConst(mulConst(get(r.outer), factor), get(r.inner)));
    } else {
      let stride = 1;
      const fused = get(r.fused);
      for (let i = r.inputs.length - 1; i >= 0; i--) {
        const iv = r.inputs[i];
        const e = extents.get(iv.var.id) ?? 1;
        const q = stride === 1 ? fused : divConst(fused, stride);
        val.set(iv.var.id, i === 0 ? q : modConst(q, e));
        stride *= e;
      }
    }
  }
  return val;
}

// Constant-aware builders: leaves of extent 1 are the constant 0, and folding here keeps the
// generated indices free of `0 * 8 + i` without a full simplifier pass.

function mulConst(a: Expr, c: number): Expr {
  if (a.kind === 'int') return intImm(a.value * c, a.dtype);
  return c === 1 ? a : mul(a, c);
}

export function addConst(a: Expr, b: Expr): Expr {
  if (a.kind === 'int' && a.value === 0) return b;
  if (b.kind === 'int' && b.value === 0) return a;
  if (a.kind === 'int' && b.kind === 'int') return intImm(a.value + b.value, a.dtype);
  return add(a, b);
}

function divConst(a: Expr, c: number): Expr {
  return a.kind === 'int' ? intImm(Math.floor(a.value / c), a.dtype) : floordiv(a, c);
}

function modConst(a: Expr, c: number): Expr {
  if (c === 1) return intImm(0, a.dtype);
  return a.kind === 'int' ? intImm(((a.value % c) + c) % c, a.dtype) : floormod(a, c);
}
