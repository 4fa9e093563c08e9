/**
 * @file A scope of variable ranges for passes that walk loop nests: bind each loop variable as the
 * walk enters its loop, ask questions inside, and let `withScope` drop the bindings on the way out.
 *
 *   const an = new Analyzer();
 *   an.bindLoop(i, 0, 16);
 *   an.canProve(lt(i, 16));   // true
 */

import type { Expr, Var } from '../ir/expr.js';
import { Bounds, evalInterval } from './bounds.js';
import { factsOf } from './facts.js';
import type { Interval } from './interval.js';
import { canProve, simplify } from './simplify.js';

export class Analyzer {
  private ranges = new Map<number, Interval>();

  /** Sets the range of `v`, replacing any earlier binding in this scope (see `withScope`). */
  bind(v: Var, range: Interval): void {
    this.ranges.set(v.id, range);
  }

  /**
   * Binds a loop variable to [min, min + extent). A loop of extent ≤ 0 never runs its body, so any
   * fact is vacuously true there; it is bound to {min} to keep every interval non-empty.
   */
  bindLoop(v: Var, min: number, extent: number): void {
    this.bind(v, { min, max: min + Math.max(extent, 1) - 1 });
  }

  /**
   * Narrows variable ranges to what `cond` implies, e.g. inside `if (i*4 + j < 30)`. Conditions
   * that are not comparisons of index expressions (joined by `&&`) add nothing.
   */
  assume(cond: Expr): void {
    for (const [id, range] of factsOf(simplify(cond, this.ranges), true, new Bounds(this.ranges))) this.ranges.set(id, range);
  }

  simplify(e: Expr): Expr {
    return simplify(e, this.ranges);
  }

  canProve(c: Expr): boolean {
    return canProve(c, this.ranges);
  }

  interval(e: Expr): Interval {
    return evalInterval(e, this.ranges);
  }

  /** Runs `fn`; bindings made inside it are dropped afterwards, even when it throws. */
  withScope<T>(fn: () => T): T {
    const saved = this.ranges;
    this.ranges = new Map(saved);
    try {
      return fn();
    } finally {
      this.ranges = saved;
    }
  }
}
