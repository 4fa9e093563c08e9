/**
 * @file Interval bounds of integer expressions under known variable ranges. Sums are read as
 * linear forms first, so a variable that cancels (`i*8 + j - i*8`) does not widen the bound, and
 * `c*floordiv(x, c)` is also tried as `x - floormod(x, c)`, which keeps split-and-fuse index
 * arithmetic tight. Results are memoized per node for the life of one `Bounds` object.
 */

import { isInt } from '../ir/dtype.js';
import type { Binary, Expr } from '../ir/expr.js';
import type { BoundSource } from './facts.js';
import { factsOf } from './facts.js';
import { withDepthGuard } from './guard.js';
import * as I from './interval.js';
import type { Interval, Ranges } from './interval.js';
import type { Linear } from './linear.js';
import { distributeMinMax, linearOf, loneMinMax } from './linear.js';
import { divModAlternatives } from './linear-divmod.js';

export class Bounds implements BoundSource {
  private readonly memo = new Map<Expr, Interval>();

  constructor(private readonly ranges: Ranges) {}

  of(e: Expr): Interval {
    const hit = this.memo.get(e);
    if (hit) return hit;
    const r = I.intersect(this.compute(e), I.dtypeRange(e.dtype));
    this.memo.set(e, r);
    return r;
  }

  interval(e: Expr): Interval {
    return this.of(e);
  }

  linearInterval(l: Linear): Interval {
    return this.ofLinear(l);
  }

  /**
   * Bounds of a linear form: the sum of its terms' bounds, tightened by div/mod identities and by
   * moving the rest of the sum into a min/max term (`min(i*4 + 4, 10) - i*4` is within [2, 4]
   * when i is in [0, 2], though its terms alone only say [-8, 10]). `budget` limits that to a few
   * nested min/max, each of which doubles the work.
   */
  ofLinear(l: Linear, budget = 3): Interval {
    let r = this.sumTerms(l);
    if (l.terms.length < 2) return r;
    for (const alt of divModAlternatives(l)) r = I.intersect(r, this.sumTerms(alt));
    const t = budget > 0 ? loneMinMax(l) : undefined;
    const d = t && distributeMinMax(l, t);
    if (d) {
      const [a, b] = [this.ofLinear(d.a, budget - 1), this.ofLinear(d.b, budget - 1)];
      r = I.intersect(r, d.op === 'min' ? I.min(a, b) : I.max(a, b));
    }
    return r;
  }

  private sumTerms(l: Linear): Interval {
    let lo = l.constant;
    let hi = l.constant;
    for (const t of l.terms) {
      // Coefficients are nonzero, so no 0·∞; lo only ever gathers -∞ and hi +∞.
      const b = this.of(t.term);
      lo += t.coeff > 0 ? t.coeff * b.min : t.coeff * b.max;
      hi += t.coeff > 0 ? t.coeff * b.max : t.coeff * b.min;
    }
    return I.interval(lo, hi);
  }

  private compute(e: Expr): Interval {
    switch (e.kind) {
      case 'int':
        return I.point(e.value);
      case 'var':
        return I.intersect(this.ranges.get(e.id) ?? I.UNBOUNDED, I.dtypeRange(e.dtype));
      case 'binary':
        return this.binary(e);
      case 'cmp':
      case 'logic':
      case 'not':
        return I.BOOL_RANGE;
      case 'select':
        return I.union(this.assuming(e.cond, true).of(e.t), this.assuming(e.cond, false).of(e.f));
      case 'cast':
        return this.cast(e.value, e.dtype);
      case 'call':
        return e.fn === 'abs' && isInt(e.dtype) && e.args[0] ? I.abs(this.of(e.args[0])) : I.UNBOUNDED;
      case 'ramp': {
        const span = I.point(e.stride * (e.lanes - 1));
        return I.union(this.of(e.base), I.add(this.of(e.base), span));
      }
      case 'broadcast':
        return this.of(e.value);
      case 'let':
        return new Bounds(new Map([...this.ranges, [e.v.id, this.of(e.value)]])).of(e.body);
      default:
        // Floats, loads and TE-only nodes: only the dtype bounds them (applied in `of`).
        return I.UNBOUNDED;
    }
  }

  private assuming(cond: Expr, holds: boolean): Bounds {
    const facts = factsOf(cond, holds, this);
    return facts.size === 0 ? this : new Bounds(new Map([...this.ranges, ...facts]));
  }

  private binary(e: Binary): Interval {
    if (!isInt(e.dtype)) return I.UNBOUNDED;
    const lin = e.op === 'add' || e.op === 'sub' || e.op === 'mul' ? linearOf(e) : undefined;
    // A product of two non-constants is a single term of coefficient 1: bound it directly.
    const viaLinear = lin && !(lin.terms.length === 1 && lin.terms[0]?.term === e);
    const r = viaLinear ? this.ofLinear(lin) : this.binaryOp(e, this.of(e.a), this.of(e.b));
    return I.fitDtype(r, e.dtype);
  }

  private binaryOp(e: Binary, a: Interval, b: Interval): Interval {
    switch (e.op) {
      case 'add':
        return I.add(a, b);
      case 'sub':
        return I.sub(a, b);
      case 'mul':
        return I.mul(a, b);
      case 'div':
        return I.truncDiv(a, b);
      case 'mod':
        return I.truncMod(a, b);
      case 'floordiv':
        return I.floorDiv(a, b);
      case 'floormod':
        return I.floorMod(a, b);
      case 'min':
        return I.min(a, b);
      case 'max':
        return I.max(a, b);
    }
  }

  private cast(value: Expr, to: Expr['dtype']): Interval {
    if (to === 'bool') {
      const v = this.of(value);
      if (isInt(value.dtype) && !I.contains(v, 0)) return I.point(1);
      return isInt(value.dtype) && I.isPoint(v) ? I.point(0) : I.BOOL_RANGE;
    }
    if (!isInt(to) || !(isInt(value.dtype) || value.dtype === 'bool')) return I.UNBOUNDED;
    return I.fitDtype(this.of(value), to);
  }
}

/** Bounds of an integer expression; ±Infinity where nothing bounds it. */
export function evalInterval(e: Expr, ranges: Ranges = new Map()): Interval {
  return withDepthGuard(
    () => new Bounds(ranges).of(e),
    () => I.dtypeRange(e.dtype),
  );
}
