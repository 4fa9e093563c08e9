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
import { add, intImm, mul, sub } from '../ir/expr.js';
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
export function isIndexDtype(t: DType): boolean {
  return t === 'int32' || t === 'int64';
}

/** True for scalar expressions of an index dtype. */
export function isIndexType(e: Expr): boolean {
  return isIndexDtype(e.dtype) && e.lanes === 1;
}

/** Order of terms in a sum: variables by id, then everything else by structural key. */
export function compareTerms(a: Expr, b: Expr): number {
  return orderByKey(a, exprKey(a), b, exprKey(b));
}

function orderByKey(a: Expr, ka: string, b: Expr, kb: string): number {
  if (a.kind === 'var' && b.kind === 'var') return a.id - b.id;
  if (a.kind === 'var') return -1;
  if (b.kind === 'var') return 1;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function atom(e: Expr): Linear {
  return { terms: [{ term: e, coeff: 1, key: exprKey(e) }], constant: 0, dtype: e.dtype };
}

function constLinear(c: number, dtype: DType): Linear {
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
    const c = x && y ? (x.key === y.key ? 0 : orderByKey(x.term, x.key, y.term, y.key)) : x ? -1 : 1;
    if (c < 0 && x) {
      out.push(x);
      i++;
    } else if (c > 0 && y) {
      const coeff = k * y.coeff;
      if (!fitsInt(coeff, a.dtype)) return undefined;
      if (k === 1) out.push(y);
      else if (coeff !== 0) out.push({ ...y, coeff });
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
  if (first && l.constant !== 0) {
    const c = l.constant;
    acc = c > 0 || !fitsInt(-c, dtype) ? add(acc, intImm(c, dtype)) : sub(acc, intImm(-c, dtype));
  }
  // Reading the result back gives `l`: remember it, so sums built up term by term stay linear-time.
  if (!memo.has(acc)) memo.set(acc, l);
  return acc;
}

/** A min/max of two linear forms. */
export interface MinMaxOfLinear {
  readonly op: 'min' | 'max';
  readonly a: Linear;
  readonly b: Linear;
}

/**
 * For a sum T + k·op(a, b) with k = ±1, the same value as op'(T + k·a, T + k·b), where op' is op
 * for k = 1 and its dual for k = -1 (T - min(a, b) = max(T - a, T - b)). Undefined when `t` is not
 * such a term of `l`.
 */
export function distributeMinMax(l: Linear, t: Term): MinMaxOfLinear | undefined {
  const m = t.term;
  if (m.kind !== 'binary' || (m.op !== 'min' && m.op !== 'max') || Math.abs(t.coeff) !== 1 || !isIndexType(m)) return undefined;
  const rest = addScaled(l, atom(m), -t.coeff);
  const a = rest && addScaled(rest, linearOf(m.a), t.coeff);
  const b = rest && addScaled(rest, linearOf(m.b), t.coeff);
  if (!a || !b) return undefined;
  const dual = m.op === 'min' ? 'max' : 'min';
  return { op: t.coeff === 1 ? m.op : dual, a, b };
}

/** The one min/max term of `l`, if it has exactly one. */
export function loneMinMax(l: Linear): Term | undefined {
  const found = l.terms.filter((t) => t.term.kind === 'binary' && (t.term.op === 'min' || t.term.op === 'max'));
  return found.length === 1 ? found[0] : undefined;
}
