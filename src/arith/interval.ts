/**
 * @file Interval arithmetic on inclusive integer bounds. Bound inference, loop partitioning and
 * the simplifier's range-dependent rules all reason through these few operations, so they are
 * written once here, with the corner cases (infinite ends, 0·∞, division by ranges that contain
 * zero) settled in one place. Every operation is sound: the true value set is always contained.
 */

import type { DType } from '../ir/dtype.js';
import { intRange } from '../ir/dtype.js';

/** Inclusive integer bounds; ±Infinity when unbounded. */
export interface Interval {
  readonly min: number;
  readonly max: number;
}

/** Known ranges of variables, keyed by `Var.id`. */
export type Ranges = ReadonlyMap<number, Interval>;

export const UNBOUNDED: Interval = { min: -Infinity, max: Infinity };
export const BOOL_RANGE: Interval = { min: 0, max: 1 };

export function point(v: number): Interval {
  return interval(v, v);
}

/** An interval from computed ends: NaN (no limit) widens to unbounded, -0 becomes 0. */
export function interval(min: number, max: number): Interval {
  if (Number.isNaN(min) || Number.isNaN(max)) return UNBOUNDED;
  return { min: min === 0 ? 0 : min, max: max === 0 ? 0 : max };
}

export function isPoint(a: Interval): boolean {
  return a.min === a.max && Number.isFinite(a.min);
}

export function contains(a: Interval, v: number): boolean {
  return a.min <= v && v <= a.max;
}

export function union(a: Interval, b: Interval): Interval {
  return interval(Math.min(a.min, b.min), Math.max(a.max, b.max));
}

/** The tighter of two sound bounds of one value. Disjoint inputs (unreachable code) give `a`. */
export function intersect(a: Interval, b: Interval): Interval {
  const lo = Math.max(a.min, b.min);
  const hi = Math.min(a.max, b.max);
  return lo <= hi ? interval(lo, hi) : a;
}

/**
 * The values a variable or memory value of `dtype` can hold. Index types (int32, int64) count as
 * unbounded: index arithmetic is assumed not to overflow, and ±∞ tells callers "no bound".
 */
export function dtypeRange(dtype: DType): Interval {
  if (dtype === 'int8' || dtype === 'uint8' || dtype === 'bool') {
    const [lo, hi] = intRange(dtype);
    return { min: lo, max: hi };
  }
  return UNBOUNDED;
}

/**
 * Narrow integer types wrap, so a result that leaves their range may be anything in it; wide
 * index types are assumed not to overflow.
 */
export function fitDtype(a: Interval, dtype: DType): Interval {
  const r = dtypeRange(dtype);
  if (r === UNBOUNDED) return a;
  return a.min >= r.min && a.max <= r.max ? a : r;
}

export function add(a: Interval, b: Interval): Interval {
  return interval(a.min + b.min, a.max + b.max);
}

export function neg(a: Interval): Interval {
  return interval(-a.max, -a.min);
}

export function sub(a: Interval, b: Interval): Interval {
  return add(a, neg(b));
}

/** x·y where 0·∞ counts as 0: a zero factor is exact, not an unbounded limit. */
function mulEnd(x: number, y: number): number {
  return x === 0 || y === 0 ? 0 : x * y;
}

export function mul(a: Interval, b: Interval): Interval {
  const c = [mulEnd(a.min, b.min), mulEnd(a.min, b.max), mulEnd(a.max, b.min), mulEnd(a.max, b.max)];
  return interval(Math.min(...c), Math.max(...c));
}

export function scale(a: Interval, k: number): Interval {
  return mul(a, point(k));
}

function strictlyPositive(b: Interval): boolean {
  return b.min > 0;
}

function strictlyNegative(b: Interval): boolean {
  return b.max < 0;
}

/**
 * A division rounded by `round` is monotone in each operand while the divisor keeps one sign, so
 * its extremes lie at the corners.
 */
function divCorners(a: Interval, b: Interval, round: (q: number) => number): Interval {
  if (!strictlyPositive(b) && !strictlyNegative(b)) return UNBOUNDED;
  const q: number[] = [];
  for (const x of [a.min, a.max]) {
    for (const y of [b.min, b.max]) {
      const r = x / y;
      // ∞/∞ has no limit here; ±∞/finite and finite/±∞ do.
      if (Number.isNaN(r)) return UNBOUNDED;
      q.push(round(r));
    }
  }
  return interval(Math.min(...q), Math.max(...q));
}

export function floorDiv(a: Interval, b: Interval): Interval {
  return divCorners(a, b, Math.floor);
}

export function truncDiv(a: Interval, b: Interval): Interval {
  return divCorners(a, b, (q) => (q === 0 ? 0 : Math.trunc(q)));
}

/** floormod(a, b): the sign of b; exact when all of `a` falls in one period of a constant b. */
export function floorMod(a: Interval, b: Interval): Interval {
  if (isPoint(b) && b.min > 0) {
    const c = b.min;
    const k = Math.floor(a.min / c);
    if (Number.isFinite(k) && a.max < (k + 1) * c) return interval(a.min - k * c, a.max - k * c);
    return a.min >= 0 ? { min: 0, max: Math.min(c - 1, a.max) } : { min: 0, max: c - 1 };
  }
  if (strictlyPositive(b)) {
    if (a.min >= 0 && a.max < b.min) return a;
    return { min: 0, max: a.min >= 0 ? Math.min(b.max - 1, a.max) : b.max - 1 };
  }
  if (strictlyNegative(b)) return { min: b.min + 1, max: 0 };
  return UNBOUNDED;
}

/** C remainder: the sign of the dividend, magnitude below |b|; on one side of zero a floor mod. */
export function truncMod(a: Interval, b: Interval): Interval {
  if (!strictlyPositive(b) && !strictlyNegative(b)) return UNBOUNDED;
  const mag = abs(b);
  if (a.min >= 0) return floorMod(a, mag);
  if (a.max <= 0) return neg(floorMod(neg(a), mag));
  const m = mag.max - 1;
  return interval(Math.max(-m, a.min), Math.min(m, a.max));
}

export function min(a: Interval, b: Interval): Interval {
  return interval(Math.min(a.min, b.min), Math.min(a.max, b.max));
}

export function max(a: Interval, b: Interval): Interval {
  return interval(Math.max(a.min, b.min), Math.max(a.max, b.max));
}

export function abs(a: Interval): Interval {
  if (a.min >= 0) return a;
  if (a.max <= 0) return neg(a);
  return { min: 0, max: Math.max(-a.min, a.max) };
}
