/**
 * @file Canonical linear forms of integer index expressions: Σ coeff·term + constant, with terms
 * in one deterministic order (variables by id first, then other terms by structural key). Equal
 * sums therefore rebuild to structurally equal expressions, and cancellation (`i*8 + j - i*8`)
 * and collection (`x*4 + x*4`) fall out of the representation. Only int32 and int64 are read this
 * way: they are the index types, where overflow is assumed not to happen. Floats never are —
 * float addition is not associative.
 */

import type { DType } from '../ir/dtype.js';
import type { Expr } from '../ir/expr.js';
import { add, floordiv, floormod, intImm, mul, sub } from '../ir/expr.js';
import { exprKey } from '../ir/equal.js';
import { fitsInt } from './fold.js';

export interface Term {
  readonly term: Expr;
  readonly coeff: number;
  readonly key: string;
}

export interface Linear {
  /** Nonzero coefficients, sorted by `compareTerms`, keys distinct. */
  readonly terms: readonly Term[];
  readonly constant: number;
  readonly dtype: DType;
}

/** True for the dtypes read as linear forms. */
export function isIndexType(e: Expr): boolean {
  return (e.dtype === 'int32' || e.dtype === 'int64') && e.lanes === 1;
}

/** Order of terms in a sum: variables by id, then everything else by structural key. */
export function compareTerms(a: Expr, b: Expr): number {
  if (a.kind === 'var' && b.kind === 'var') return a.id - b.id;
  if (a.kind === 'var') return -1;
  if (b.kind === 'var') return 1;
  const ka = exprKey(a);
  const kb = exprKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function atom(e: Expr): Linear {
  return { terms: [{ term: e, coeff: 1, key: exprKey(e) }], constant: 0, dtype: e.dtype };
}

export function constLinear(c: number, dtype: DType): Linear {
  return { terms: [], constant: c, dtype };
}

/** a + k·b, or undefined when a coefficient or the constant would not fit the dtype. */
export function addScaled(a: Linear, b: Linear, k: number): Linear | undefined {
  const constant = a.constant + k * b.constant;
  if (!fitsInt(constant, a.dtype)) return undefined;
  const out: Term[] = [];
  let i = 0;
  let j = 0;
  while (i < a.terms.length || j < b.terms.length) {
    const x = a.terms[i];
    const y = b.terms[j];
    const c = x && y ? (x.key === y.key ? 0 : compareTerms(x.term, y.term)) : x ? -1 : 1;
    if (c < 0 && x) {
      out.push(x);
      i++;
    } else if (c > 0 && y) {
      const coeff = k * y.coeff;
      if (!fitsInt(coeff, a.dtype)) return undefined;
      if (coeff !== 0) out.push({ ...y, coeff });
      j++;
    } else if (x && y) {
      const coeff = x.coeff + k * y.coeff;
      if (!fitsInt(coeff, a.dtype)) return undefined;
      if (coeff !== 0) out.push({ ...x, coeff });
      i++;
      j++;
    }
  }
  return { terms: out, constant, dtype: a.dtype };
}

export function scaleLinear(a: Linear, k: number): Linear | undefined {
  return addScaled(constLinear(0, a.dtype), a, k);
}

const memo = new WeakMap<Expr, Linear>();

/** The linear form of `e`; anything that is not a sum, difference or product by a constant is a term. */
export function linearOf(e: Expr): Linear {
  const hit = memo.get(e);
  if (hit) return hit;
  const l = (isIndexType(e) ? parse(e) : undefined) ?? (e.kind === 'int' ? constLinear(e.value, e.dtype) : atom(e));
  memo.set(e, l);
  return l;
}

function parse(e: Expr): Linear | undefined {
  if (e.kind === 'int') return constLinear(e.value, e.dtype);
  if (e.kind !== 'binary') return undefined;
  switch (e.op) {
    case 'add':
      return addScaled(linearOf(e.a), linearOf(e.b), 1);
    case 'sub':
      return addScaled(linearOf(e.a), linearOf(e.b), -1);
    case 'mul':
      if (e.b.kind === 'int') return scaleLinear(linearOf(e.a), e.b.value);
      if (e.a.kind === 'int') return scaleLinear(linearOf(e.b), e.a.value);
      return undefined;
    default:
      return undefined;
  }
}

function scaled(t: Term, magnitude: number, dtype: DType): Expr {
  return magnitude === 1 ? t.term : mul(t.term, intImm(magnitude, dtype));
}

/** acc ± |coeff|·term, falling back to adding a negative when the magnitude does not fit. */
function accumulate(acc: Expr, t: Term, dtype: DType): Expr {
  if (t.coeff > 0) return add(acc, scaled(t, t.coeff, dtype));
  if (fitsInt(-t.coeff, dtype)) return sub(acc, scaled(t, -t.coeff, dtype));
  return add(acc, mul(t.term, intImm(t.coeff, dtype)));
}

/** The canonical expression of a linear form: positive terms, then negative ones, then the constant. */
export function linearToExpr(l: Linear): Expr {
  const { dtype } = l;
  const pos = l.terms.filter((t) => t.coeff > 0);
  const negs = l.terms.filter((t) => t.coeff < 0);
  const first = pos[0];
  let acc: Expr = first ? scaled(first, first.coeff, dtype) : intImm(l.constant, dtype);
  for (const t of pos.slice(1)) acc = accumulate(acc, t, dtype);
  for (const t of negs) acc = accumulate(acc, t, dtype);
  if (!first || l.constant === 0) return acc;
  if (l.constant > 0 || !fitsInt(-l.constant, dtype)) return add(acc, intImm(l.constant, dtype));
  return sub(acc, intImm(-l.constant, dtype));
}

/** The `(x, c)` of a `floordiv(x, c)` or `floormod(x, c)` term with constant c > 0. */
export function divModParts(e: Expr, op: 'floordiv' | 'floormod'): { x: Expr; c: number } | undefined {
  if (e.kind !== 'binary' || e.op !== op || e.b.kind !== 'int' || e.b.value <= 0) return undefined;
  return { x: e.a, c: e.b.value };
}

/** Builds the companion `floordiv(x, c)` / `floormod(x, c)` of a div/mod term. */
export type DivModMaker = (op: 'floordiv' | 'floormod', x: Expr, c: number) => Expr;

export const rawDivMod: DivModMaker = (op, x, c) => (op === 'floordiv' ? floordiv(x, c) : floormod(x, c));

/**
 * `t` rewritten by the identity x = c·floordiv(x, c) + floormod(x, c): a `k·c·floordiv(x, c)` term
 * as `k·x - k·floormod(x, c)`, a `k·floormod(x, c)` term as `k·x - k·c·floordiv(x, c)`.
 */
export function expandDivMod(t: Term, make: DivModMaker): Linear | undefined {
  const d = divModParts(t.term, 'floordiv');
  if (d && t.coeff % d.c === 0) {
    const inner = addScaled(linearOf(d.x), linearOf(make('floormod', d.x, d.c)), -1);
    return inner && scaleLinear(inner, t.coeff / d.c);
  }
  const m = divModParts(t.term, 'floormod');
  if (m) {
    const inner = addScaled(linearOf(m.x), linearOf(make('floordiv', m.x, m.c)), -m.c);
    return inner && scaleLinear(inner, t.coeff);
  }
  return undefined;
}

/** `l` with the term `t` (one of its own) replaced by the linear form `by`. */
export function replaceTerm(l: Linear, t: Term, by: Linear): Linear | undefined {
  const without = addScaled(l, atom(t.term), -t.coeff);
  return without && addScaled(without, by, 1);
}

/**
 * Equivalent forms of `l` for bounds: once with every floordiv term expanded, once with every
 * floormod term expanded. When x's own terms also appear in the sum they cancel, which the plain
 * term-by-term bound cannot see (`x - 4*floordiv(x, 4)` is `floormod(x, 4)`, within [0, 3]).
 */
export function divModAlternatives(l: Linear): Linear[] {
  const out: Linear[] = [];
  for (const op of ['floordiv', 'floormod'] as const) {
    let alt: Linear | undefined = l;
    for (const t of l.terms) {
      const by = divModParts(t.term, op) ? expandDivMod(t, rawDivMod) : undefined;
      if (by && alt) alt = replaceTerm(alt, t, by);
    }
    if (alt && alt !== l) out.push(alt);
  }
  return out;
}
