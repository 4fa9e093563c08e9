/**
 * @file The identity x = c·floordiv(x, c) + floormod(x, c) applied to terms of linear forms. The
 * simplifier uses it to undo split-and-fuse arithmetic (`floordiv(f, 8)*8 + floormod(f, 8)` → `f`),
 * bound analysis to see cancellations that term-by-term bounds miss (`x - 4*floordiv(x, 4)` is
 * within [0, 3]).
 */

import type { Expr } from '../ir/expr.js';
import { floordiv, floormod } from '../ir/expr.js';
import { children } from '../ir/visit.js';
import type { Linear, Term } from './linear.js';
import { addScaled, atom, linearOf, scaleLinear } from './linear.js';

export interface DivModParts {
  readonly op: 'floordiv' | 'floormod';
  readonly x: Expr;
  readonly c: number;
}

/** The parts of a `floordiv(x, c)` or `floormod(x, c)` with constant c > 0 (of `op` if given). */
export function divModParts(e: Expr, op?: 'floordiv' | 'floormod'): DivModParts | undefined {
  if (e.kind !== 'binary' || e.b.kind !== 'int' || e.b.value <= 0) return undefined;
  if (e.op !== 'floordiv' && e.op !== 'floormod') return undefined;
  return op && e.op !== op ? undefined : { op: e.op, x: e.a, c: e.b.value };
}

/** The companion of a div/mod term: floormod(x, c) for floordiv(x, c), and the other way round. */
export type Companion = (term: Expr, parts: DivModParts) => Expr;

const rawCompanions = new WeakMap<Expr, Expr>();

/** The companion as a plain node, built once per term. */
const rawCompanion: Companion = (term, { op, x, c }) => {
  let out = rawCompanions.get(term);
  if (!out) {
    out = op === 'floordiv' ? floormod(x, c) : floordiv(x, c);
    rawCompanions.set(term, out);
  }
  return out;
};

/**
 * `t` rewritten by the identity: a `k·c·floordiv(x, c)` term as `k·x - k·floormod(x, c)`, a
 * `k·floormod(x, c)` term as `k·x - k·c·floordiv(x, c)`.
 */
export function expandDivMod(t: Term, companion: Companion): Linear | undefined {
  const p = divModParts(t.term);
  if (!p || (p.op === 'floordiv' && t.coeff % p.c !== 0)) return undefined;
  const other = linearOf(companion(t.term, p));
  const inner = addScaled(linearOf(p.x), other, p.op === 'floordiv' ? -1 : -p.c);
  return inner && scaleLinear(inner, p.op === 'floordiv' ? t.coeff / p.c : t.coeff);
}

/** `l` with the term `t` (one of its own) replaced by the linear form `by`. */
export function replaceTerm(l: Linear, t: Term, by: Linear): Linear | undefined {
  const without = addScaled(l, atom(t.term), -t.coeff);
  return without && addScaled(without, by, 1);
}

const varMemo = new WeakMap<Expr, ReadonlySet<number>>();

/** Ids of the variables in `e` (memoized per node). */
function varsOf(e: Expr): ReadonlySet<number> {
  const hit = varMemo.get(e);
  if (hit) return hit;
  const out = new Set<number>();
  if (e.kind === 'var') out.add(e.id);
  else for (const k of children(e)) for (const id of varsOf(k)) out.add(id);
  varMemo.set(e, out);
  return out;
}

function sharesVar(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  for (const id of a) if (b.has(id)) return true;
  return false;
}

/**
 * The div/mod terms of `l` (of `op` if given) that the identity could cancel against another term:
 * any cancellation needs a shared variable, so the rest are not worth trying.
 */
export function divModCandidates(l: Linear, op?: 'floordiv' | 'floormod'): Term[] {
  return l.terms.filter((t) => {
    if (!divModParts(t.term, op)) return false;
    const mine = varsOf(t.term);
    return l.terms.some((u) => u !== t && sharesVar(varsOf(u.term), mine));
  });
}

/**
 * Equivalent forms of `l` for bounds: once with every floordiv term expanded, once with every
 * floormod term expanded.
 */
export function divModAlternatives(l: Linear): Linear[] {
  const out: Linear[] = [];
  for (const op of ['floordiv', 'floormod'] as const) {
    let alt: Linear | undefined = l;
    for (const t of divModCandidates(l, op)) {
      const by = expandDivMod(t, rawCompanion);
      if (by && alt) alt = replaceTerm(alt, t, by);
    }
    if (alt && alt !== l) out.push(alt);
  }
  return out;
}
