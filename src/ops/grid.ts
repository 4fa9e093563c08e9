/**
 * @file Sampling grids: AffineGrid (normalized coordinates of every output pixel, mapped by a
 * batch of affine matrices) and GridSample (the input read at such coordinates). GridSample, as
 * ONNX's reference defines it, per spatial dim:
 *
 *   1. denormalize g ∈ [−1, 1]: (g + 1)/2·(n − 1) with align_corners, ((g + 1)·n − 1)/2 without;
 *   2. padding_mode border clamps the coordinate to [0, n − 1], reflection reflects it into
 *      [0, n − 1] (align_corners) or [−0.5, n − 0.5];
 *   3. nearest rounds half to even; linear reads 2 taps, cubic 4 (a = −0.75), weighted;
 *   4. a tap outside the input reads 0 (zeros), the nearest edge (border) or its mirror (reflection).
 *
 * Grid coordinates are ordered x, y(, z): the last one indexes the first spatial dim.
 */

import type { Expr, Var } from '../ir/expr.js';
import { add, and, cast, constant, div, floormod, ge, le, lt, max, min, mul, select, sub } from '../ir/expr.js';
import { tensorType } from '../graph/types.js';
import { compute, floor, round } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, NodeContext } from './context.js';
import { checkDType, sameDType } from './check.js';
import { defineOp } from './registry.js';
import { showShape, unknownDim } from './shape.js';

const f32 = (v: number): Expr => constant(v, 'float32');

// --- AffineGrid ---------------------------------------------------------------------------------

/** The normalized coordinate of pixel `i` of `n`: pixel centers, or corners with align_corners. */
function normalized(i: Var, n: number, align: boolean): Expr {
  const x = cast(i, 'float32');
  if (align) return n === 1 ? f32(-1) : sub(mul(x, f32(2 / (n - 1))), f32(1));
  return sub(div(add(mul(x, f32(2)), f32(1)), f32(n)), f32(1));
}

defineOp({
  name: 'AffineGrid',
  inputs: [2, 2],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const theta = ctx.type(0);
    checkDType(ctx, theta.dtype, 'float');
    const rank = theta.shape[1];
    if (theta.shape.length !== 3 || (rank !== 2 && rank !== 3)) throw ctx.fail(`theta must be [N, 2, 3] or [N, 3, 4], got ${showShape(theta.shape)}`);
    const size = ctx.constantValues(1);
    const spatial = size ? size.slice(2) : Array.from({ length: rank }, unknownDim);
    return [tensorType(theta.dtype, [theta.shape[0], ...spatial, rank])];
  },
  compute(ctx) {
    const theta = ctx.input(0);
    const shape = ctx.outputs[0].shape;
    const r = theta.shape[1];
    const align = ctx.int('align_corners', 0) !== 0;
    return [
      compute(shape, (n, ...rest) => {
        const spatial = rest.slice(0, r);
        // homogeneous coordinates (x, y(, z), 1): x indexes the last spatial dim
        const coords = spatial.map((v, k) => normalized(v, shape[1 + k], align)).reverse();
        const row = rest[r];
        const terms = coords.map((c, k) => mul(theta.at(n, row, k), cast(c, theta.dtype)));
        return terms.reduce<Expr>((a, t) => add(a, t), theta.at(n, row, r));
      }, 'affine_grid', { tag: 'injective' }),
    ];
  },
});

// --- GridSample ---------------------------------------------------------------------------------

type Padding = 'zeros' | 'border' | 'reflection';

interface Sampling {
  readonly mode: 'nearest' | 'linear' | 'cubic';
  readonly padding: Padding;
  readonly align: boolean;
}

function samplingOf(ctx: NodeContext): Sampling {
  const m = ctx.string('mode', 'linear');
  const mode = m === 'bilinear' ? 'linear' : m === 'bicubic' ? 'cubic' : m;
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'cubic') throw ctx.fail(`mode must be nearest, linear or cubic, got "${m}"`);
  const padding = ctx.string('padding_mode', 'zeros');
  if (padding !== 'zeros' && padding !== 'border' && padding !== 'reflection') throw ctx.fail(`padding_mode must be zeros, border or reflection, got "${padding}"`);
  return { mode, padding, align: ctx.int('align_corners', 0) !== 0 };
}

/** Reflects x into [lo, hi] (periodically, as a mirror at both ends). */
function reflect(x: Expr, lo: number, hi: number): Expr {
  const span = hi - lo;
  if (span <= 0) return f32(lo);
  const d = sub(x, f32(lo));
  const m = sub(d, mul(floor(div(d, f32(2 * span))), f32(2 * span)));
  return add(f32(lo), select(le(m, f32(span)), m, sub(f32(2 * span), m)));
}

/** The input coordinate of grid value `g` in a dim of extent n (steps 1 and 2). */
function coordinate(s: Sampling, g: Expr, n: number): Expr {
  const x = s.align ? mul(add(g, f32(1)), f32((n - 1) / 2)) : div(sub(mul(add(g, f32(1)), f32(n)), f32(1)), f32(2));
  if (s.padding === 'border') return min(max(x, f32(0)), f32(n - 1));
  if (s.padding === 'reflection') return s.align ? reflect(x, 0, n - 1) : reflect(x, -0.5, n - 0.5);
  return x;
}

/** An integer tap index made readable: its mirror (reflection) or clamp (border, zeros). */
function tapIndex(s: Sampling, i: Expr, n: number): Expr {
  if (s.padding !== 'reflection') return min(max(i, 0), n - 1);
  const period = s.align ? 2 * n - 2 : 2 * n;
  if (period <= 0) return constant(0, 'int32');
  const m = floormod(i, period);
  return select(lt(m, n), m, sub(s.align ? 2 * n - 2 : 2 * n - 1, m));
}

interface Tap {
  readonly index: Expr;
  readonly weight: Expr | null;
  /** whether the raw index lies inside the input (zeros padding reads 0 elsewhere) */
  readonly inside: Expr | null;
}

function cubic(t: Expr, outer: boolean): Expr {
  const a = -0.75;
  const t2 = mul(t, t);
  const t3 = mul(t2, t);
  if (!outer) return add(sub(mul(f32(a + 2), t3), mul(f32(a + 3), t2)), f32(1));
  return sub(add(sub(mul(f32(a), t3), mul(f32(5 * a), t2)), mul(f32(8 * a), t)), f32(4 * a));
}

function taps(s: Sampling, x: Expr, n: number): Tap[] {
  const tap = (raw: Expr, weight: Expr | null): Tap => ({
    index: tapIndex(s, raw, n),
    weight,
    inside: s.padding === 'zeros' ? and(ge(raw, 0), lt(raw, n)) : null,
  });
  if (s.mode === 'nearest') return [tap(cast(round(x), 'int32'), null)];
  const base = floor(x);
  const frac = sub(x, base);
  const i0 = cast(base, 'int32');
  if (s.mode === 'linear') return [tap(i0, sub(f32(1), frac)), tap(add(i0, 1), frac)];
  const dist = [add(f32(1), frac), frac, sub(f32(1), frac), sub(f32(2), frac)];
  return [-1, 0, 1, 2].map((o, j) => tap(add(i0, o), cubic(dist[j], j === 0 || j === 3)));
}

function gridSampleCompute(ctx: ComputeContext): Tensor[] {
  const [x, grid] = [ctx.input(0), ctx.input(1)];
  const s = samplingOf(ctx);
  const r = x.ndim - 2;
  return [
    compute(ctx.outputs[0].shape, (n, c, ...o) => {
      const perDim = x.shape.slice(2).map((extent, k) => taps(s, coordinate(s, cast(grid.at(n, ...o, r - 1 - k), 'float32'), extent), extent));
      let terms: { idx: Expr[]; w: Expr | null; inside: Expr | null }[] = [{ idx: [], w: null, inside: null }];
      for (const list of perDim) {
        terms = terms.flatMap((t) => list.map((p) => ({ idx: [...t.idx, p.index], w: both(t.w, p.weight, mul), inside: both(t.inside, p.inside, and) })));
      }
      const zero = constant(0, x.dtype);
      return terms
        .map((t) => {
          const v = x.at(n, c, ...t.idx);
          const read = t.inside ? select(t.inside, v, zero) : v;
          return t.w ? mul(cast(t.w, x.dtype), read) : read;
        })
        .reduce((a, b) => add(a, b));
    }, 'grid_sample', { tag: 'injective' }),
  ];
}

const both = (a: Expr | null, b: Expr | null, f: (p: Expr, q: Expr) => Expr): Expr | null => (a === null ? b : b === null ? a : f(a, b));

defineOp({
  name: 'GridSample',
  inputs: [2, 2],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const [x, grid] = [ctx.type(0), ctx.type(1)];
    checkDType(ctx, x.dtype, 'float');
    sameDType(ctx, [x.dtype, grid.dtype], 'input and grid');
    samplingOf(ctx);
    const r = x.shape.length - 2;
    if (r < 1 || grid.shape.length !== r + 2 || (typeof grid.shape[r + 1] === 'number' && grid.shape[r + 1] !== r)) {
      throw ctx.fail(`grid ${showShape(grid.shape)} does not match input ${showShape(x.shape)}`);
    }
    return [tensorType(x.dtype, [x.shape[0], x.shape[1], ...grid.shape.slice(1, r + 1)])];
  },
  compute: gridSampleCompute,
});
