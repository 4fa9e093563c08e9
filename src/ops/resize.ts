/**
 * @file Resize (and the older Upsample): nearest, linear and cubic interpolation over any dims,
 * with ONNX's coordinate transformation modes. Each output coordinate x maps to an input
 * coordinate x' (float32) per dim:
 *
 *   half_pixel            (x + 0.5) / s − 0.5
 *   half_pixel_symmetric  the same, shifted so the output stays centered when out ≠ in·s
 *   pytorch_half_pixel    like half_pixel, 0 when the output has one element
 *   align_corners         x · (in − 1) / (in·s − 1)   (in·s unrounded: out when sizes are given)
 *   asymmetric            x / s
 *   tf_crop_and_resize    inside the roi box; outside the input gives extrapolation_value
 *
 * Nearest rounds x' (nearest_mode) and clamps; linear and cubic read 2 or 4 taps per dim at
 * clamped indices (the input extended by its edge values) and sum the weighted products.
 */

import type { Expr, Var } from '../ir/expr.js';
import { add, and, cast, constant, div, floordiv, ge, le, lt, max, min, mul, or, select, sub } from '../ir/expr.js';
import type { Dim } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { ceil, compute, floor } from '../te/compute.js';
import type { ComputeContext, InferContext, NodeContext } from './context.js';
import { checkDType } from './check.js';
import { defineOp } from './registry.js';
import { normalizeAxes, unknownDim } from './shape.js';

type Mode = 'nearest' | 'linear' | 'cubic';
const COORD_MODES = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize'] as const;
type CoordMode = (typeof COORD_MODES)[number];
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const;
type NearestMode = (typeof NEAREST_MODES)[number];

function oneOf<T extends string>(ctx: NodeContext, name: string, allowed: readonly T[], fallback: T): T {
  const v = ctx.string(name, fallback);
  if (!(allowed as readonly string[]).includes(v)) throw ctx.fail(`${name} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

interface Attrs {
  readonly mode: Mode;
  readonly coord: CoordMode;
  readonly nearest: NearestMode;
}

/** The attributes; Upsample and Resize-10 map like asymmetric coordinates with floor rounding. */
function attrsOf(ctx: NodeContext): Attrs {
  const mode = oneOf(ctx, 'mode', ['nearest', 'linear', 'cubic', 'bilinear'], 'nearest');
  if (ctx.int('antialias', 0) !== 0) throw ctx.fail('antialias is not supported');
  const legacy = ctx.node.op === 'Upsample' || ctx.opset < 11;
  return {
    mode: mode === 'bilinear' ? 'linear' : mode,
    coord: legacy ? 'asymmetric' : oneOf(ctx, 'coordinate_transformation_mode', COORD_MODES, 'half_pixel'),
    nearest: legacy ? 'floor' : oneOf(ctx, 'nearest_mode', NEAREST_MODES, 'round_prefer_floor'),
  };
}

interface Plan {
  /** per dim: the scale used by the coordinate formulas */
  readonly scales: readonly number[];
  readonly out: readonly Dim[];
  /** per dim [start, end] of the roi box (tf_crop_and_resize) */
  readonly roi: readonly [number, number][];
}

interface Given {
  readonly scales: readonly number[] | null;
  readonly sizes: readonly number[] | null;
  /** roi starts then ends; null when absent or not constant */
  readonly roi: readonly number[] | null;
}

/**
 * What the node gives: Upsample and Resize-10 a scales attribute or input 1; from opset 11 the
 * inputs roi (1), scales (2) and sizes (3), an empty tensor meaning absent. Null when scales or
 * sizes is an input that is not constant.
 */
function givenOf(ctx: NodeContext): Given | null {
  if (ctx.node.op === 'Upsample' || ctx.opset < 11) {
    const scales = ctx.hasAttr('scales') ? ctx.floats('scales') : ctx.constantValues(1);
    return scales && { scales, sizes: null, roi: null };
  }
  const read = (i: number): number[] | null => (ctx.has(i) ? ctx.constantValues(i) : []);
  const [roi, scales, sizes] = [read(1), read(2), read(3)];
  if (scales === null || sizes === null) return null;
  const some = (v: number[] | null): number[] | null => (v && v.length > 0 ? v : null);
  return { scales: some(scales), sizes: some(sizes), roi: some(roi) };
}

function plan(ctx: NodeContext, input: readonly Dim[], coord: CoordMode): Plan | null {
  const given = givenOf(ctx);
  const crop = coord === 'tf_crop_and_resize';
  if (given === null || (crop && ctx.has(1) && given.roi === null)) return null;
  const rank = input.length;
  const axes = normalizeAxes(ctx, ctx.ints('axes', Array.from({ length: rank }, (_, k) => k)), rank);
  /** per-axis values spread over all dims, `fill` for the others */
  const spread = (vals: readonly number[], fill: (k: number) => number): number[] => {
    if (vals.length !== axes.length) throw ctx.fail(`got ${vals.length} values for ${axes.length} axes`);
    return Array.from({ length: rank }, (_, k) => (axes.includes(k) ? vals[axes.indexOf(k)] : fill(k)));
  };
  const r = given.roi;
  const [starts, ends] = r ? [spread(r.slice(0, r.length / 2), () => 0), spread(r.slice(r.length / 2), () => 1)] : [null, null];
  const roi = input.map((_, k): [number, number] => [starts?.[k] ?? 0, ends?.[k] ?? 1]);
  if (given.sizes) return sizesPlan(ctx, input, spread(given.sizes, (k) => dimOr(input[k], -1)), axes, roi);
  if (!given.scales) throw ctx.fail('needs scales or sizes');
  const scales = spread(given.scales, () => 1);
  if (!scales.every((v) => v > 0 && Number.isFinite(v))) throw ctx.fail(`scales [${scales.join(', ')}] must be finite and positive`);
  // out = floor(in · (roi extent) · scale); the epsilon absorbs float error in products like 5 · 0.6
  const extent = (d: number, k: number): number => Math.floor(d * (crop ? roi[k][1] - roi[k][0] : 1) * scales[k] + 1e-9);
  const out = input.map((d, k) => (scales[k] === 1 && !crop ? d : typeof d === 'number' ? extent(d, k) : unknownDim()));
  return { scales, out, roi };
}

const dimOr = (d: Dim, fallback: number): number => (typeof d === 'number' ? d : fallback);

function sizesPlan(ctx: NodeContext, input: readonly Dim[], sizes: readonly number[], axes: readonly number[], roi: [number, number][]): Plan {
  const policy = oneOf(ctx, 'keep_aspect_ratio_policy', ['stretch', 'not_larger', 'not_smaller'], 'stretch');
  // sizes of symbolic dims are -1 here, filled in once the input's shape is known
  if (!axes.every((a) => Number.isSafeInteger(sizes[a]) && sizes[a] > 0)) throw ctx.fail(`sizes [${axes.map((a) => sizes[a]).join(', ')}] must be positive integers`);
  if (input.some((d) => typeof d !== 'number')) {
    // only inference sees symbolic dims: the sizes are the output unless a policy rescales them
    const out = input.map((d, k) => (!axes.includes(k) ? d : policy === 'stretch' ? sizes[k] : unknownDim()));
    return { scales: sizes.map(() => 1), out, roi };
  }
  const dims = input as readonly number[];
  if (policy === 'stretch') return { scales: sizes.map((s, k) => s / dims[k]), out: sizes, roi };
  const ratios = axes.map((a) => sizes[a] / dims[a]);
  const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  return { scales: dims.map((_, k) => (axes.includes(k) ? s : 1)), out: dims.map((d, k) => (axes.includes(k) ? Math.round(d * s) : d)), roi };
}

const f32 = (v: number): Expr => constant(v, 'float32');

/** The input coordinate of output coordinate `x` in dim k (float32). */
function sourceCoord(a: Attrs, x: Var, scale: number, inn: number, out: number, roi: [number, number]): Expr {
  const xf = cast(x, 'float32');
  const half = (): Expr => sub(div(add(xf, f32(0.5)), f32(scale)), f32(0.5));
  switch (a.coord) {
    case 'half_pixel':
      return half();
    case 'half_pixel_symmetric': {
      const offset = (inn / 2) * (1 - out / (scale * inn));
      return add(f32(offset), half());
    }
    case 'pytorch_half_pixel':
      return out > 1 ? half() : f32(0);
    case 'align_corners':
      return out === 1 ? f32(0) : mul(xf, f32((inn - 1) / (inn * scale - 1)));
    case 'asymmetric':
      return div(xf, f32(scale));
    case 'tf_crop_and_resize': {
      const [s, e] = roi;
      if (out === 1) return f32(0.5 * (s + e) * (inn - 1));
      return add(f32(s * (inn - 1)), mul(xf, f32(((e - s) * (inn - 1)) / (inn * scale - 1))));
    }
  }
}

function roundNearest(m: NearestMode, x: Expr): Expr {
  switch (m) {
    case 'round_prefer_floor':
      return ceil(sub(x, f32(0.5)));
    case 'round_prefer_ceil':
      return floor(add(x, f32(0.5)));
    case 'floor':
      return floor(x);
    case 'ceil':
      return ceil(x);
  }
}

const clampIndex = (i: Expr, n: number): Expr => min(max(i, 0), n - 1);

/**
 * Whether nearest sampling of dim k reads input ⌊x / s⌋ for an integer scale s: asymmetric
 * coordinates x / s rounded down, or half-pixel ones (x + ½) / s − ½ rounded to nearest, land
 * strictly inside (k − 1, k + 1) for x = k·s + r, ½/s away from a tie. Then the index is integer
 * arithmetic a schedule can split into affine loads, not float math per element. Extents stay
 * far below 2²² so float32 rounding cannot cross those margins.
 */
function integerNearest(a: Attrs, scale: number, inn: number, out: number): boolean {
  if (a.mode !== 'nearest' || !Number.isInteger(scale) || scale < 1 || out > inn * scale || out >= 1 << 22) return false;
  if (a.coord === 'asymmetric') return a.nearest === 'floor';
  const halfPixel = a.coord === 'half_pixel' || (a.coord === 'pytorch_half_pixel' && out > 1);
  return halfPixel && (a.nearest === 'round_prefer_floor' || a.nearest === 'round_prefer_ceil');
}

/** One read position of a dim with its weight (null: weight 1). */
interface Tap {
  readonly index: Expr;
  readonly weight: Expr | null;
}

/** The cubic convolution kernel W_a(t) for t in [0, 2]. */
function cubicWeight(t: Expr, a: number, outer: boolean): Expr {
  const t2 = mul(t, t);
  const t3 = mul(t2, t);
  if (!outer) return add(sub(mul(f32(a + 2), t3), mul(f32(a + 3), t2)), f32(1));
  return sub(add(sub(mul(f32(a), t3), mul(f32(5 * a), t2)), mul(f32(8 * a), t)), f32(4 * a));
}

function taps(ctx: NodeContext, a: Attrs, xo: Expr, n: number): Tap[] {
  if (a.mode === 'nearest') return [{ index: clampIndex(cast(roundNearest(a.nearest, xo), 'int32'), n), weight: null }];
  const base = floor(xo);
  const frac = sub(xo, base);
  const i0 = cast(base, 'int32');
  if (a.mode === 'linear') {
    return [
      { index: clampIndex(i0, n), weight: sub(f32(1), frac) },
      { index: clampIndex(add(i0, 1), n), weight: frac },
    ];
  }
  const coeff = ctx.float('cubic_coeff_a', -0.75);
  const dist = [add(f32(1), frac), frac, sub(f32(1), frac), sub(f32(2), frac)];
  let list = [-1, 0, 1, 2].map((o, j): Tap => ({ index: add(i0, o), weight: cubicWeight(dist[j], coeff, j === 0 || j === 3) }));
  if (ctx.int('exclude_outside', 0) !== 0) {
    list = list.map((t) => ({ index: t.index, weight: select(and(ge(t.index, 0), le(t.index, n - 1)), t.weight ?? f32(1), f32(0)) }));
    const total = list.map((t) => t.weight ?? f32(1)).reduce((p, q) => add(p, q));
    list = list.map((t) => ({ index: t.index, weight: div(t.weight ?? f32(1), total) }));
  }
  return list.map((t) => ({ index: clampIndex(t.index, n), weight: t.weight }));
}

interface Term {
  readonly idx: Expr[];
  readonly w: Expr | null;
}

const times = (a: Expr | null, b: Expr | null): Expr | null => (a === null ? b : b === null ? a : mul(a, b));

function resizeCompute(ctx: ComputeContext): ReturnType<typeof compute>[] {
  const x = ctx.input(0);
  const a = attrsOf(ctx);
  const p = plan(ctx, x.shape, a.coord);
  if (p === null) throw ctx.fail('scales, sizes and roi must be constants');
  const out = ctx.outputs[0].shape;
  const extrapolate = constant(ctx.float('extrapolation_value', 0), x.dtype);
  return [
    compute(out, (...o) => {
      const coords = o.map((v, k) => {
        const identity = out[k] === x.shape[k] && p.scales[k] === 1 && a.coord !== 'tf_crop_and_resize';
        return identity ? null : sourceCoord(a, v, p.scales[k], x.shape[k], out[k], p.roi[k]);
      });
      const perDim: Tap[][] = coords.map((c, k) => {
        if (c === null) return [{ index: o[k], weight: null }];
        if (integerNearest(a, p.scales[k], x.shape[k], out[k])) return [{ index: floordiv(o[k], p.scales[k]), weight: null }];
        return taps(ctx, a, c, x.shape[k]);
      });
      let terms: Term[] = [{ idx: [], w: null }];
      for (const list of perDim) terms = terms.flatMap((t) => list.map((tap) => ({ idx: [...t.idx, tap.index], w: times(t.w, tap.weight) })));
      const value = terms
        .map((t): Expr => (t.w === null ? x.at(...t.idx) : mul(cast(t.w, x.dtype), x.at(...t.idx))))
        .reduce((s, v) => add(s, v));
      if (a.coord !== 'tf_crop_and_resize') return value;
      const outside = coords.flatMap((c, k) => (c === null ? [] : [or(lt(c, f32(0)), lt(f32(x.shape[k] - 1), c))]));
      return outside.length === 0 ? value : select(outside.reduce((s, c) => or(s, c)), extrapolate, value);
    }, 'resize', { tag: 'injective' }),
  ];
}


function resizeInfer(ctx: InferContext): ReturnType<typeof tensorType>[] {
  const x = ctx.type(0);
  checkDType(ctx, x.dtype, attrsOf(ctx).mode === 'nearest' ? 'any' : 'float');
  const p = plan(ctx, x.shape, attrsOf(ctx).coord);
  return [tensorType(x.dtype, p === null ? x.shape.map(unknownDim) : p.out)];
}

defineOp({ name: 'Resize', inputs: [1, 4], outputs: [1, 1], pattern: 'injective', infer: resizeInfer, compute: resizeCompute });
defineOp({ name: 'Upsample', inputs: [1, 2], outputs: [1, 1], pattern: 'injective', infer: resizeInfer, compute: resizeCompute });
