/**
 * @file Rules for integer division and remainder — the heart of index simplification after split
 * and fuse. A floordiv/floormod by a constant c > 0 splits its dividend into multiples of c and
 * the rest (`floordiv(x*c + y, c)` → `x + floordiv(y, c)`, `floormod(x*c + y, c)` →
 * `floormod(y, c)`), cancels a common factor, folds nested divisions, and lets ranges finish the
 * job (`floordiv(y, c)` → 0, `floormod(y, c)` → y when 0 ≤ y < c). Truncating div/mod become
 * their floor forms when both operands are provably non-negative, where the two agree.
 */

import { isFloat, isInt } from '../ir/dtype.js';
import type { Binary, Expr } from '../ir/expr.js';
import { binary, intImm } from '../ir/expr.js';
import type { RuleContext } from './context.js';
import { fitsInt } from './fold.js';
import type { Linear, Term } from './linear.js';
import { isIndexType, linearOf, linearToExpr } from './linear.js';
import { divModParts } from './linear-divmod.js';

function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Splits `l` into q and r with l = c·q + r: whole multiples of c, and the remaining terms. */
function splitByDivisor(l: Linear, c: number): { q: Linear; r: Linear } {
  const qTerms: Term[] = [];
  const rTerms: Term[] = [];
  for (const t of l.terms) {
    if (t.coeff % c === 0) qTerms.push({ ...t, coeff: t.coeff / c });
    else rTerms.push(t);
  }
  const qc = Math.floor(l.constant / c);
  return {
    q: { terms: qTerms, constant: qc, dtype: l.dtype },
    r: { terms: rTerms, constant: l.constant - qc * c, dtype: l.dtype },
  };
}

/** Divides the rest and the divisor by their common factor: floordiv(g·r, g·c) = floordiv(r, c). */
function reduceCommon(r: Linear, c: number): { r: Linear; c: number; g: number } {
  const g = r.terms.reduce((acc, t) => gcd(acc, t.coeff), gcd(c, r.constant));
  if (g <= 1) return { r, c, g: 1 };
  const terms = r.terms.map((t) => ({ ...t, coeff: t.coeff / g }));
  return { r: { terms, constant: r.constant / g, dtype: r.dtype }, c: c / g, g };
}

/** The k with k·c ≤ r < (k+1)·c for every value of r, if there is one. */
function samePeriod(r: Linear, c: number, ctx: RuleContext): number | undefined {
  const iv = ctx.linearInterval(r);
  const k = Math.floor(iv.min / c);
  return Number.isFinite(k) && iv.max < (k + 1) * c ? k : undefined;
}

/**
 * Writes r as f·b + s with f a proper factor of c and 0 ≤ s < f for every value, so that
 * floordiv(r, c) = floordiv(b, c/f) and floormod(r, c) = floormod(b, c/f)·f + s. This is what
 * undoes a split of a fused or tiled axis: floordiv(o*4 + i, 8) → floordiv(o, 2) for i in [0, 4).
 * The largest factor that works is used.
 */
function factorSplit(r: Linear, c: number, ctx: RuleContext): { f: number; b: Linear; s: Linear } | undefined {
  const factors = [...new Set(r.terms.map((t) => gcd(t.coeff, c)))].filter((f) => f > 1 && f < c).sort((x, y) => y - x);
  for (const f of factors) {
    const big = r.terms.filter((t) => t.coeff % f === 0);
    const small: Linear = { terms: r.terms.filter((t) => t.coeff % f !== 0), constant: r.constant, dtype: r.dtype };
    const k = samePeriod(small, f, ctx);
    if (k === undefined || big.length === 0) continue;
    return {
      f,
      b: { terms: big.map((t) => ({ ...t, coeff: t.coeff / f })), constant: k, dtype: r.dtype },
      s: { ...small, constant: small.constant - k * f },
    };
  }
  return undefined;
}

/** `x` when `l` is exactly one unscaled `op(x, c)` term. */
function lone(l: Linear, op: 'floordiv' | 'floormod'): { x: Expr; c: number } | undefined {
  const t = l.terms[0];
  return l.terms.length === 1 && l.constant === 0 && t?.coeff === 1 ? divModParts(t.term, op) : undefined;
}

/** a + b, simplified; b alone when a is zero. */
function plus(ctx: RuleContext, a: Linear, b?: Expr): Expr {
  if (!b) return ctx.rewrite(linearToExpr(a));
  if (a.terms.length === 0 && a.constant === 0) return b;
  return ctx.rewrite(binary('add', linearToExpr(a), b));
}

function floorDivConst(e: Binary, c: number, ctx: RuleContext): Expr {
  const dtype = e.dtype;
  if (c === 1) return e.a;
  const { q, r: r0 } = splitByDivisor(linearOf(e.a), c);
  const { r, c: d } = reduceCommon(r0, c);
  const k = samePeriod(r, d, ctx);
  if (k !== undefined) return plus(ctx, { ...q, constant: q.constant + k });
  const fs = factorSplit(r, d, ctx);
  if (fs) return plus(ctx, q, ctx.rewrite(binary('floordiv', linearToExpr(fs.b), intImm(d / fs.f, dtype))));
  const inner = lone(r, 'floordiv');
  // floordiv(floordiv(x, a), b) = floordiv(x, a·b) for positive a, b.
  if (inner && fitsInt(inner.c * d, dtype)) return plus(ctx, q, ctx.rewrite(binary('floordiv', inner.x, intImm(inner.c * d, dtype))));
  if (q.terms.length === 0 && q.constant === 0 && d === c) return e;
  return plus(ctx, q, binary('floordiv', linearToExpr(r), intImm(d, dtype)));
}

/** floormod(r, d) for a rest r with no multiples of d; undefined when no rule applies. */
function reduceMod(r: Linear, d: number, ctx: RuleContext): Expr | undefined {
  const dtype = r.dtype;
  const k = samePeriod(r, d, ctx);
  if (k !== undefined) return linearToExpr({ ...r, constant: r.constant - k * d });
  const fs = factorSplit(r, d, ctx);
  if (fs) {
    const high = ctx.rewrite(binary('floormod', linearToExpr(fs.b), intImm(d / fs.f, dtype)));
    return ctx.rewrite(binary('add', binary('mul', high, intImm(fs.f, dtype)), linearToExpr(fs.s)));
  }
  const inner = lone(r, 'floormod');
  // floormod(floormod(x, a), b) = floormod(x, b) when b divides a.
  if (inner && inner.c % d === 0) return ctx.rewrite(binary('floormod', inner.x, intImm(d, dtype)));
  return undefined;
}

function floorModConst(e: Binary, c: number, ctx: RuleContext): Expr {
  const dtype = e.dtype;
  if (c === 1) return intImm(0, dtype);
  const whole = linearOf(e.a);
  const { r: r0 } = splitByDivisor(whole, c);
  const { r, c: d, g } = reduceCommon(r0, c);
  let out = reduceMod(r, d, ctx);
  if (!out) {
    if (g === 1 && r.terms.length === whole.terms.length && r.constant === whole.constant) return e;
    out = binary('floormod', linearToExpr(r), intImm(d, dtype));
  }
  // floormod(g·r, g·d) = g·floormod(r, d).
  return g === 1 ? out : ctx.rewrite(binary('mul', out, intImm(g, dtype)));
}

/** Narrow integer types wrap, so only range facts apply to them. */
function byRange(e: Binary, ctx: RuleContext): Expr {
  const a = ctx.interval(e.a);
  const b = ctx.interval(e.b);
  if (a.min >= 0 && b.min > 0 && a.max < b.min) return e.op === 'floordiv' || e.op === 'div' ? intImm(0, e.dtype) : e.a;
  return e;
}

export function rewriteDivMod(e: Binary, ctx: RuleContext): Expr {
  // x / 1.0 is exactly x, NaN and -0.0 included; no other float rule is safe.
  if (isFloat(e.dtype)) return e.op === 'div' && e.b.kind === 'float' && e.b.value === 1 ? e.a : e;
  if (!isInt(e.dtype)) return e;
  const c = e.b.kind === 'int' ? e.b.value : undefined;
  if (e.op === 'div' || e.op === 'mod') {
    if (c === 1) return e.op === 'div' ? e.a : intImm(0, e.dtype);
    if (ctx.interval(e.a).min >= 0 && ctx.interval(e.b).min > 0) {
      return ctx.rewrite(binary(e.op === 'div' ? 'floordiv' : 'floormod', e.a, e.b));
    }
    return e;
  }
  if (c !== undefined && c > 0 && isIndexType(e)) return e.op === 'floordiv' ? floorDivConst(e, c, ctx) : floorModConst(e, c, ctx);
  if (c === 1) return e.op === 'floordiv' ? e.a : intImm(0, e.dtype);
  return byRange(e, ctx);
}
