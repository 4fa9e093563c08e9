/**
 * @file `tir.loopPartition`: splits a loop so that its hot part carries no guards.
 *
 * For a loop `v` whose body holds `if`s on `v` (typically the `io*8 + ii < n` guard of a split
 * that does not divide), find the largest range of `v` on which every such guard — each conjunct
 * of a condition `a && b` on its own — provably holds for all values of the inner loops, and cut the loop into up to three loops: before, inside and
 * after that range. Inside, the guards are gone; outside, each guard stays, or is folded away where
 * it is provably false (then the loop often vanishes). Loops are handled outermost first, so the
 * remainder of an outer loop then partitions its inner loops with the outer variable pinned.
 * Only serial, parallel and unrolled loops with constant bounds are cut; a parallel loop is cut
 * inside its body instead (`if (v < lo) … else if (v < hi) … else …`), so that every iteration
 * stays one task of one parallel region: cut outside, its first and last tasks (a convolution's
 * padded border rows) would run alone on one thread, before and after the region. The condition of a select
 * that is a store's whole value (a pad: `B[i] = select(i >= 1 && i < 9, A[i - 1], 0)`) counts as
 * a guard too, and inside the range where it holds the store keeps only the selected value.
 *
 *   before:  for (io, 0, 4) { for (ii, 0, 8) { if (io * 8 + ii < 30) { B[io * 8 + ii] = 1.0f } } }
 *   after:   for (io, 0, 3) { for (ii, 0, 8) { B[io * 8 + ii] = 1.0f } }
 *            for (io, 3, 1) { for (ii, 0, 6) { B[io * 8 + ii] = 1.0f } }
 */

import { Analyzer } from '../../arith/index.js';
import { isInt } from '../../ir/dtype.js';
import type { Expr } from '../../ir/expr.js';
import { intImm, lt, not } from '../../ir/expr.js';
import { freeVars, visit } from '../../ir/visit.js';
import type { For, PrimFunc, Stmt } from '../../tir/stmt.js';
import { NOOP, ifThenElse, seq } from '../../tir/stmt.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';
import { bindLoop } from './common.js';

/** How many points of a long loop are tried as the seed of the guard-free range. */
const SEED_SAMPLES = 64;

/** A conjunct of an `if` condition on the loop variable, with the loops between it and the loop. */
interface Guard {
  readonly cond: Expr;
  readonly inner: readonly For[];
}

function conjuncts(e: Expr): Expr[] {
  return e.kind === 'logic' && e.op === 'and' ? [...conjuncts(e.a), ...conjuncts(e.b)] : [e];
}

/** Guards in `s` that mention `v` and no variable defined inside `s` other than by a loop. */
function guardsOf(s: Stmt, v: number, inner: readonly For[], out: Guard[]): void {
  switch (s.kind) {
    case 'for':
      guardsOf(s.body, v, [...inner, s], out);
      return;
    case 'if': {
      for (const c of conjuncts(s.cond)) if (freeVars(c).has(v)) out.push({ cond: c, inner });
      guardsOf(s.then, v, inner, out);
      if (s.otherwise) guardsOf(s.otherwise, v, inner, out);
      return;
    }
    case 'seq':
      for (const b of s.body) guardsOf(b, v, inner, out);
      return;
    case 'allocate':
    case 'attr':
    case 'assert':
      guardsOf(s.body, v, inner, out);
      return;
    case 'store':
      // A stored select (a pad, a spread or a concatenation) guards its value the way an `if`
      // guards a statement; a condition that reads memory is never provable, so it is skipped.
      if (s.value.kind === 'select') {
        for (const c of conjuncts(s.value.cond)) if (freeVars(c).has(v) && !readsMemory(c)) out.push({ cond: c, inner });
      }
      return;
    case 'let':
    case 'noop':
      // Guards below a let could depend on it; they are left to simplify.
      return;
  }
}

function readsMemory(e: Expr): boolean {
  let found = false;
  visit(e, (n) => {
    if (n.kind === 'load') found = true;
    return !found;
  });
  return found;
}

class Partitioner {
  constructor(private readonly an: Analyzer) {}

  stmt(s: Stmt): Stmt {
    const an = this.an;
    switch (s.kind) {
      case 'for':
        return this.loop(s);
      case 'if': {
        // Simplifying under the current ranges drops the conjuncts that provably hold.
        const cond = an.simplify(s.cond);
        if (an.canProve(cond)) return this.stmt(s.then);
        if (an.canProve(not(cond))) return s.otherwise ? this.stmt(s.otherwise) : NOOP;
        const then = this.stmt(s.then);
        const otherwise = s.otherwise ? this.stmt(s.otherwise) : null;
        return { ...s, cond, then, otherwise };
      }
      case 'seq':
        return seq(...s.body.map((b) => this.stmt(b)));
      case 'let':
        return {
          ...s,
          body: an.withScope(() => {
            if (s.value.lanes === 1 && isInt(s.value.dtype)) an.bind(s.v, an.interval(s.value));
            return this.stmt(s.body);
          }),
        };
      case 'allocate':
      case 'attr':
      case 'assert':
        return { ...s, body: this.stmt(s.body) };
      case 'store': {
        if (s.value.kind !== 'select') return s;
        const cond = an.simplify(s.value.cond);
        if (an.canProve(cond)) return { ...s, value: s.value.t };
        if (an.canProve(not(cond))) return { ...s, value: s.value.f };
        return s;
      }
      case 'noop':
        return s;
    }
  }

  private loop(s: For): Stmt {
    const range = this.guardFreeRange(s);
    if (!range) return this.part(s, s.min, s.extent);
    const { min, lo, hi, end } = range;
    const ranges = ([[min, lo], [lo, hi], [hi, end]] as const).filter(([a, b]) => b > a);
    if (s.forKind === 'parallel') return this.branches(s, ranges);
    return seq(...ranges.map(([a, b]) => this.part(s, intImm(a, s.min.dtype), intImm(b - a, s.extent.dtype))));
  }

  /** Parallel loop `s` whose body picks, by the loop variable, its copy for each of `ranges`. */
  private branches(s: For, ranges: readonly (readonly [number, number])[]): Stmt {
    const bodies = ranges.map(([a, b]) =>
      this.an.withScope(() => {
        this.an.bindLoop(s.loopVar, a, b - a);
        return this.stmt(s.body);
      }),
    );
    if (bodies.every((b) => b.kind === 'noop')) return NOOP;
    let body = bodies[bodies.length - 1];
    for (let k = ranges.length - 2; k >= 0; k--) body = ifThenElse(lt(s.loopVar, intImm(ranges[k][1], s.loopVar.dtype)), bodies[k], body);
    return { ...s, body };
  }

  /** The loop over [min, min + extent) with its body processed under that range. */
  private part(s: For, min: Expr, extent: Expr): Stmt {
    const body = this.an.withScope(() => {
      bindLoop(this.an, s.loopVar, min, extent);
      return this.stmt(s.body);
    });
    return body.kind === 'noop' ? NOOP : { ...s, min, extent, body };
  }

  /**
   * [lo, hi) on which every guard on the loop variable holds, when it is a proper sub-range of the
   * loop's [min, end).
   */
  private guardFreeRange(s: For): { min: number; lo: number; hi: number; end: number } | undefined {
    if (s.forKind === 'vectorized' || s.forKind === 'thread') return undefined;
    if (s.min.kind !== 'int' || s.extent.kind !== 'int' || s.extent.value < 2) return undefined;
    const guards: Guard[] = [];
    guardsOf(s.body, s.loopVar.id, [], guards);
    if (guards.length === 0) return undefined;
    const holds = (lo: number, hi: number): boolean => guards.every((g) => this.holdsOn(s, g, lo, hi));
    const min = s.min.value;
    const end = min + s.extent.value;
    const seed = seedPoints(min, end).find((p) => holds(p, p + 1));
    if (seed === undefined) return undefined;
    const hi = largestTrue(seed + 1, end, (h) => holds(seed, h));
    const lo = -largestTrue(-seed, -min, (l) => holds(-l, hi));
    return lo === min && hi === end ? undefined : { min, lo, hi, end };
  }

  /** Whether guard `g` provably holds for loop variable values in [lo, hi). */
  private holdsOn(s: For, g: Guard, lo: number, hi: number): boolean {
    return this.an.withScope(() => {
      this.an.bind(s.loopVar, { min: lo, max: hi - 1 });
      for (const l of g.inner) bindLoop(this.an, l.loopVar, l.min, l.extent);
      return this.an.canProve(g.cond);
    });
  }
}

/** Every point of a short range, or evenly spread samples (ends included) of a long one. */
function seedPoints(min: number, end: number): number[] {
  const n = end - min;
  if (n <= SEED_SAMPLES) return Array.from({ length: n }, (_, k) => min + k);
  return Array.from({ length: SEED_SAMPLES }, (_, k) => min + Math.floor((k * (n - 1)) / (SEED_SAMPLES - 1)));
}

/** The largest x in [known, limit] with ok(x), given ok(known) and ok monotonically decreasing. */
function largestTrue(known: number, limit: number, ok: (x: number) => boolean): number {
  let good = known;
  let bad = limit + 1;
  while (bad - good > 1) {
    const mid = good + Math.floor((bad - good) / 2);
    if (ok(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

/** `s` partitioned; `an` carries the ranges of variables defined around `s`. */
export function loopPartitionStmt(s: Stmt, an: Analyzer = new Analyzer()): Stmt {
  return new Partitioner(an).stmt(s);
}

export const loopPartition: Pass<PrimFunc> = definePass({
  name: 'tir.loopPartition',
  run: (f) => ({ ...f, body: loopPartitionStmt(f.body) }),
});
