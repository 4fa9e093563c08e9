/**
 * @file Variable ranges implied by a condition. Inside `select(i*4 + j < 30, a, b)` the branch `a`
 * may assume j ≤ 29 - 4·min(i), and `b` that j ≥ 30 - 4·max(i); the same holds for the right
 * operand of `&&` / `||` and for the body of an `if`. This is what lets guard elimination and
 * padding (`select(i >= 1, A[i - 1], 0)`) see tight index bounds.
 */

import type { CmpOp, Expr, Var } from '../ir/expr.js';
import type { Interval } from './interval.js';
import * as I from './interval.js';
import type { Linear } from './linear.js';
import { addScaled, atom, isIndexType, linearOf } from './linear.js';

/** What fact extraction needs to know about bounds. */
export interface BoundSource {
  interval(e: Expr): Interval;
  linearInterval(l: Linear): Interval;
}

/** Narrowed ranges, keyed by `Var.id`. */
export type Facts = Map<number, Interval>;

/** Constraints gathered so far, with the variable each is about. */
type Found = Map<number, { v: Var; iv: Interval }>;

const NEGATE: Record<CmpOp, CmpOp> = { eq: 'ne', ne: 'eq', lt: 'ge', le: 'gt', gt: 'le', ge: 'lt' };

function addFact(found: Found, v: Var, iv: Interval): void {
  const old = found.get(v.id);
  found.set(v.id, { v, iv: old ? I.intersect(old.iv, iv) : iv });
}

/**
 * For D = c·v + E and the constraint D ≤ 0 (upper) or D ≥ 0 (lower), the range of v that the
 * bounds of E allow.
 */
function solve(c: number, e: Interval, upper: boolean): Interval {
  // c·v ≤ -E.min, or c·v ≥ -E.max; dividing by a negative c turns the inequality around.
  const rhs = upper ? -e.min : -e.max;
  const q = rhs / c;
  if (Number.isNaN(q)) return I.UNBOUNDED;
  return upper === c > 0 ? I.interval(-Infinity, Math.floor(q)) : I.interval(Math.ceil(q), Infinity);
}

/** Facts from `d ≤ 0` (upper) or `d ≥ 0` (lower) about each variable term of d. */
function fromLinear(d: Linear, upper: boolean, src: BoundSource, facts: Found): void {
  for (const t of d.terms) {
    if (t.term.kind !== 'var') continue;
    const rest = addScaled(d, atom(t.term), -t.coeff);
    if (rest) addFact(facts, t.term, solve(t.coeff, src.linearInterval(rest), upper));
  }
}

function fromCompare(op: CmpOp, a: Expr, b: Expr, src: BoundSource, facts: Found): void {
  if (!isIndexType(a) || op === 'ne') return;
  // Strict comparisons of integers: d < 0 is d + 1 ≤ 0, d > 0 is d - 1 ≥ 0.
  const shift = op === 'lt' ? 1 : op === 'gt' ? -1 : 0;
  const d = addScaled(linearOf(a), { terms: [], constant: shift, dtype: a.dtype }, 1);
  const diff = d && addScaled(d, linearOf(b), -1);
  if (!diff) return;
  if (op === 'lt' || op === 'le' || op === 'eq') fromLinear(diff, true, src, facts);
  if (op === 'gt' || op === 'ge' || op === 'eq') fromLinear(diff, false, src, facts);
}

function collect(cond: Expr, holds: boolean, src: BoundSource, facts: Found): void {
  if (cond.lanes !== 1) return;
  switch (cond.kind) {
    case 'not':
      collect(cond.a, !holds, src, facts);
      return;
    case 'logic':
      // Both sides are known only for a true `and` or a false `or`.
      if ((cond.op === 'and') === holds) {
        collect(cond.a, holds, src, facts);
        collect(cond.b, holds, src, facts);
      }
      return;
    case 'cmp':
      fromCompare(holds ? cond.op : NEGATE[cond.op], cond.a, cond.b, src, facts);
      return;
    default:
      return;
  }
}

/**
 * Ranges of variables implied by `cond` being true (`holds`) or false, already intersected with
 * what `src` knew. Only variables whose range the condition narrows are returned.
 */
export function factsOf(cond: Expr, holds: boolean, src: BoundSource): Facts {
  const found: Found = new Map();
  collect(cond, holds, src, found);
  const out: Facts = new Map();
  for (const [id, { v, iv }] of found) {
    const known = src.interval(v);
    const narrowed = I.intersect(known, iv);
    if (narrowed.min !== known.min || narrowed.max !== known.max) out.set(id, narrowed);
  }
  return out;
}
