/**
 * @file Rules for min and max. Ranges decide most of them through the bound of the difference
 * a − b (so `min(x + 1, x + 3)` → `x + 1` and `min(i, 10)` → `i` when i ≤ 10); nested and
 * absorbed operands are dropped; index-type operands are put in a canonical order. Floats get only
 * `min(x, x)` → `x`, which holds for NaN and -0.0 as well.
 */

import { isInt } from '../ir/dtype.js';
import type { Binary, Expr } from '../ir/expr.js';
import { binary } from '../ir/expr.js';
import { sameExpr } from './same.js';
import type { RuleContext } from './context.js';
import type { Interval } from './interval.js';
import * as I from './interval.js';
import { addScaled, compareTerms, isIndexType, linearOf } from './linear.js';

/** Bounds of a − b, through the linear form so shared terms cancel. */
export function diffInterval(a: Expr, b: Expr, ctx: RuleContext): Interval {
  if (isIndexType(a)) {
    const d = addScaled(linearOf(a), linearOf(b), -1);
    if (d) return ctx.linearInterval(d);
  }
  return I.sub(ctx.interval(a), ctx.interval(b));
}

/** True when `keep` makes `drop` redundant in op(keep, drop): keep ≤ drop for min, ≥ for max. */
function covers(op: 'min' | 'max', keep: Expr, drop: Expr, ctx: RuleContext): boolean {
  const d = diffInterval(keep, drop, ctx);
  return op === 'min' ? d.max <= 0 : d.min >= 0;
}

/** min(min(x, y), z): drops whichever of y and z the other covers. */
function nested(e: Binary, op: 'min' | 'max', ctx: RuleContext): Expr | undefined {
  for (const [inner, other] of [
    [e.a, e.b],
    [e.b, e.a],
  ] as const) {
    if (inner.kind !== 'binary' || inner.op !== op) continue;
    for (const [g, h] of [
      [inner.a, inner.b],
      [inner.b, inner.a],
    ] as const) {
      if (covers(op, other, g, ctx)) return ctx.rewrite(binary(op, h, other));
      if (covers(op, g, other, ctx)) return inner;
    }
  }
  return undefined;
}

/** min(x, max(x, y)) = x and max(x, min(x, y)) = x. */
function absorbed(e: Binary, op: 'min' | 'max'): Expr | undefined {
  const dual = op === 'min' ? 'max' : 'min';
  for (const [x, other] of [
    [e.a, e.b],
    [e.b, e.a],
  ] as const) {
    if (other.kind === 'binary' && other.op === dual && (sameExpr(other.a, x) || sameExpr(other.b, x))) return x;
  }
  return undefined;
}

/** Constants last, otherwise the order of terms in a sum. */
function ordered(e: Binary): Expr {
  const swap = e.a.kind === 'int' ? e.b.kind !== 'int' : e.b.kind !== 'int' && compareTerms(e.b, e.a) < 0;
  return swap ? binary(e.op, e.b, e.a) : e;
}

export function rewriteMinMax(e: Binary, ctx: RuleContext): Expr {
  const op = e.op === 'min' ? 'min' : 'max';
  if (sameExpr(e.a, e.b)) return e.a;
  if (!isInt(e.dtype)) return e;
  if (covers(op, e.a, e.b, ctx)) return e.a;
  if (covers(op, e.b, e.a, ctx)) return e.b;
  const out = absorbed(e, op) ?? nested(e, op, ctx);
  if (out) return out;
  return isIndexType(e) ? ordered(e) : e;
}
