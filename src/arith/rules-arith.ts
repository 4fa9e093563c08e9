/**
 * @file Rules for add, sub and mul. Index types (int32, int64) go through canonical linear forms,
 * which also undo split-and-fuse index arithmetic: `floordiv(f, n)*n + floormod(f, n)` → `f`.
 * Narrow integer types get only identities, and floats only `x*1.0` and `x/1.0`: float addition is
 * not associative, `x + 0.0` is not `x` for -0.0, and `x*0.0` is not 0 for NaN or ∞.
 */

import { isFloat, isInt } from '../ir/dtype.js';
import type { Binary, Expr } from '../ir/expr.js';
import { binary, intImm } from '../ir/expr.js';
import { sameExpr } from './same.js';
import type { RuleContext } from './context.js';
import type { Linear, Term } from './linear.js';
import { addScaled, compareTerms, distributeMinMax, isIndexType, linearOf, linearToExpr, loneMinMax } from './linear.js';
import { divModCandidates, divModParts, expandDivMod, replaceTerm } from './linear-divmod.js';

function isValue(e: Expr, v: number): boolean {
  return (e.kind === 'int' || e.kind === 'float') && e.value === v && e.lanes === 1;
}

/** Whether `l` holds neither term `t` nor its companion, a lone div/mod term: the pair cancelled. */
function cancels(l: Linear, t: Term, companion: Expr): boolean {
  const other = linearOf(companion);
  const [u] = other.terms;
  if (other.terms.length !== 1 || other.constant !== 0 || u.coeff !== 1 || !divModParts(u.term)) return false;
  return !l.terms.some((v) => v.key === t.key || v.key === u.key);
}

/**
 * Uses x = c·floordiv(x, c) + floormod(x, c) on a div/mod term whenever that leaves fewer terms,
 * or cancels the pair outright (`floordiv(a + b, c)*c + floormod(a + b, c)` → `a + b`, as many
 * terms as before when x is a sum). Each accepted step shrinks the sum or removes a pair of
 * div/mod terms of x and adds only x's own, so this ends.
 */
function mergeDivMod(l: Linear, ctx: RuleContext): Linear {
  let cur = l;
  for (let changed = true; changed; ) {
    changed = false;
    for (const t of divModCandidates(cur)) {
      let companion: Expr | undefined;
      const by = expandDivMod(t, (term, parts) => (companion = ctx.companion(term, parts)));
      const cand = by && replaceTerm(cur, t, by);
      if (cand && (cand.terms.length < cur.terms.length || (companion && cancels(cand, t, companion)))) {
        cur = cand;
        changed = true;
        break;
      }
    }
  }
  return cur;
}

/**
 * Moves into a min/max the terms of the sum that cancel one of its sides, as loop extents after a
 * split need: `min(i*4 + 4, n) - i*4` → `min(n - i*4, 4)`. Only terms that vanish outside are
 * moved, and only when some do, so the result does not depend on how the sum was grouped.
 */
function intoMinMax(l: Linear, ctx: RuleContext): Expr | undefined {
  const t = l.terms.length > 1 ? loneMinMax(l) : undefined;
  if (!t || t.term.kind !== 'binary') return undefined;
  const coeff = new Map(l.terms.map((u) => [u.key, u.coeff]));
  for (const side of [t.term.a, t.term.b]) {
    const s = linearOf(side);
    if (s.terms.length === 0 || !s.terms.every((u) => coeff.get(u.key) === -t.coeff * u.coeff)) continue;
    const part = addScaled({ ...l, terms: [t], constant: 0 }, { ...s, constant: 0 }, -t.coeff);
    const d = part && distributeMinMax(part, t);
    const rest = part && addScaled(l, part, -1);
    if (!d || !rest) return undefined;
    const moved = ctx.rewrite(binary(d.op, linearToExpr(d.a), linearToExpr(d.b)));
    return ctx.rewrite(binary('add', linearToExpr(rest), moved));
  }
  return undefined;
}

/** The canonical form of an index sum; `e` itself when already canonical. */
function canonicalSum(e: Expr, ctx: RuleContext): Expr {
  const l = linearOf(e);
  const merged = l.terms.length > 1 ? mergeDivMod(l, ctx) : l;
  const pushed = intoMinMax(merged, ctx);
  if (pushed) return pushed;
  // A lone term of coefficient 1 is `e` itself (an irreducible product).
  const only = merged.terms[0];
  if (merged.terms.length === 1 && merged.constant === 0 && only?.coeff === 1 && only.term === e) return e;
  const out = linearToExpr(merged);
  return sameExpr(out, e) ? e : out;
}

/** Orders the operands of a product of two non-constants, so `j*i` and `i*j` meet. */
function orderProduct(e: Binary): Expr {
  if (e.a.kind === 'int' || e.b.kind === 'int') return e;
  return compareTerms(e.b, e.a) < 0 ? binary('mul', e.b, e.a) : e;
}

function identities(e: Binary): Expr | undefined {
  const { op, a, b } = e;
  if (isFloat(e.dtype)) {
    if (op === 'mul' && isValue(b, 1)) return a;
    return op === 'mul' && isValue(a, 1) ? b : undefined;
  }
  if (!isInt(e.dtype)) return undefined;
  if ((op === 'add' || op === 'sub') && isValue(b, 0)) return a;
  if (op === 'add' && isValue(a, 0)) return b;
  if (op === 'mul' && (isValue(b, 1) || isValue(a, 0))) return a;
  if (op === 'mul' && (isValue(a, 1) || isValue(b, 0))) return b;
  if (op === 'sub' && sameExpr(a, b)) return intImm(0, e.dtype);
  return undefined;
}

export function rewriteAddSubMul(e: Binary, ctx: RuleContext): Expr {
  if (isIndexType(e)) {
    const out = canonicalSum(e, ctx);
    return out === e && e.op === 'mul' ? orderProduct(e) : out;
  }
  return identities(e) ?? e;
}
