/**
 * @file Rules for comparisons, logic and select. An integer comparison is decided from the bound
 * of a − b when it can be; otherwise an index-type comparison is put in a canonical form — terms
 * with positive coefficients on the left, the rest and the constant on the right, common factors
 * divided out (`i*4 + 4 < 16` → `i < 3`) — so loop partitioning and guard elimination see one
 * shape. Float comparisons are only folded: with NaN, `!(a < b)` is not `a >= b` and `x == x`
 * is not true.
 */

import type { DType } from '../ir/dtype.js';
import { isFloat } from '../ir/dtype.js';
import type { CmpOp, Compare, Expr, Logic, Not, Select } from '../ir/expr.js';
import { cmp, not, select } from '../ir/expr.js';
import { sameExpr } from './same.js';
import type { RuleContext } from './context.js';
import { boolImm, compareValues, FALSE, intConst } from './fold.js';
import type { Interval } from './interval.js';
import type { Linear, Term } from './linear.js';
import { addScaled, isIndexType, linearOf, linearToExpr } from './linear.js';
import { diffInterval } from './rules-minmax.js';

const NEGATE: Record<CmpOp, CmpOp> = { eq: 'ne', ne: 'eq', lt: 'ge', le: 'gt', gt: 'le', ge: 'lt' };
const FLIP: Record<CmpOp, CmpOp> = { eq: 'eq', ne: 'ne', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' };

function isBoolConst(e: Expr): e is Expr & { kind: 'int' } {
  return e.kind === 'int' && e.lanes === 1;
}

/** The truth of `d op 0` for every d in `d`, if the interval settles it. */
function decide(op: CmpOp, d: Interval): boolean | undefined {
  const lo = d.min;
  const hi = d.max;
  switch (op) {
    case 'eq':
      return lo === 0 && hi === 0 ? true : lo > 0 || hi < 0 ? false : undefined;
    case 'ne':
      return lo === 0 && hi === 0 ? false : lo > 0 || hi < 0 ? true : undefined;
    case 'lt':
      return hi < 0 ? true : lo >= 0 ? false : undefined;
    case 'le':
      return hi <= 0 ? true : lo > 0 ? false : undefined;
    case 'gt':
      return lo > 0 ? true : hi <= 0 ? false : undefined;
    case 'ge':
      return lo >= 0 ? true : hi < 0 ? false : undefined;
  }
}

function gcdOf(terms: readonly Term[]): number {
  let g = 0;
  for (const t of terms) {
    let [x, y] = [Math.abs(t.coeff), g];
    while (y !== 0) [x, y] = [y, x % y];
    g = x;
  }
  return g;
}

function divided(terms: readonly Term[], g: number, dtype: DType): Linear {
  return { terms: terms.map((t) => ({ ...t, coeff: t.coeff / g })), constant: 0, dtype };
}

/**
 * The canonical `L op R + c` of a comparison: L the terms of a − b with positive coefficients (or,
 * when there are none, the negated others with the comparison flipped), R the rest, and the common
 * factor g of all coefficients divided out, rounding c the way that keeps integer solutions.
 */
function canonicalCmp(e: Compare): Expr | undefined {
  const d = addScaled(linearOf(e.a), linearOf(e.b), -1);
  const g = d ? gcdOf(d.terms) : 0;
  if (!d || g === 0) return undefined;
  const pos = d.terms.filter((t) => t.coeff > 0);
  const negs = d.terms.filter((t) => t.coeff < 0).map((t) => ({ ...t, coeff: -t.coeff }));
  // a - b = P - N + k: `P op N - k`, or with no P, `N flip(op) k`.
  const [op, lhs, rhs, c] = pos.length > 0 ? [e.op, pos, negs, -d.constant] : [FLIP[e.op], negs, [], d.constant];
  const q = c / g;
  if ((op === 'eq' || op === 'ne') && !Number.isInteger(q)) return boolImm(op === 'ne');
  const bound = intConst(op === 'lt' || op === 'ge' ? Math.ceil(q) : Math.floor(q), d.dtype);
  if (!bound) return undefined;
  return cmp(op, linearToExpr(divided(lhs, g, d.dtype)), linearToExpr({ ...divided(rhs, g, d.dtype), constant: bound.value }));
}

export function rewriteCmp(e: Compare, ctx: RuleContext): Expr {
  const { a, b } = e;
  if (a.lanes > 1) return e;
  if ((a.kind === 'int' || a.kind === 'float') && (b.kind === 'int' || b.kind === 'float')) {
    return boolImm(compareValues(e.op, a.value, b.value));
  }
  if (isFloat(a.dtype)) return (e.op === 'lt' || e.op === 'gt') && sameExpr(a, b) ? FALSE : e;
  const known = decide(e.op, diffInterval(a, b, ctx));
  if (known !== undefined) return boolImm(known);
  if (!isIndexType(a)) return e;
  const out = canonicalCmp(e);
  return out && !sameExpr(out, e) ? ctx.rewrite(out) : e;
}

/** True when `y` is the negation of `x`: `!x`, or the opposite comparison of the same operands. */
function negates(x: Expr, y: Expr): boolean {
  if (y.kind === 'not') return sameExpr(y.a, x);
  if (x.kind !== 'cmp' || y.kind !== 'cmp' || isFloat(x.a.dtype) || NEGATE[x.op] !== y.op) return false;
  return sameExpr(x.a, y.a) && sameExpr(x.b, y.b);
}

export function rewriteLogic(e: Logic, _ctx: RuleContext): Expr {
  const { a, b } = e;
  const absorbing = e.op === 'and' ? 0 : 1;
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    if (isBoolConst(x)) return (x.value !== 0 ? 1 : 0) === absorbing ? boolImm(absorbing === 1) : y;
    // x && !x is false, x || !x is true.
    if (negates(x, y)) return boolImm(e.op === 'or');
  }
  return sameExpr(a, b) ? a : e;
}

export function rewriteNot(e: Not, ctx: RuleContext): Expr {
  const a = e.a;
  if (isBoolConst(a)) return boolImm(a.value === 0);
  if (a.kind === 'not') return a.a;
  if (a.kind === 'cmp' && !isFloat(a.a.dtype)) return ctx.rewrite(cmp(NEGATE[a.op], a.a, a.b));
  return e;
}

export function rewriteSelect(e: Select, ctx: RuleContext): Expr {
  const { cond: c, t, f } = e;
  if (isBoolConst(c)) return c.value !== 0 ? t : f;
  if (sameExpr(t, f)) return t;
  if (c.kind === 'not') return ctx.rewrite(select(c.a, f, t));
  // select(c, true, false) is c, select(c, false, true) is !c.
  if (e.dtype === 'bool' && c.lanes === e.lanes && isBoolConst(t) && isBoolConst(f)) return t.value !== 0 ? c : ctx.rewrite(not(c));
  return e;
}
