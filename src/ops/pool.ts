/**
 * @file Pooling: MaxPool (with its optional Indices output), AveragePool, LpPool, their global
 * forms, and MaxUnpool. A pool is a pad stage (−inf for max, 0 for the sums; it also covers the overhang of
 * ceil_mode) and one reduction over the window, tagged `pool`.
 *
 * AveragePool divides by how many window positions fall inside the input — or inside the padded
 * input with count_include_pad — counted in closed form per output position:
 *   #{r < k : lo ≤ o·s − padBegin + r·d < hi}
 * and folded to a constant when every window is whole.
 */

import type { Expr, IterVar, Var } from '../ir/expr.js';
import { add, and, cast, constant, div, eq, floordiv, ge, lt, max, min, mul, select, sub } from '../ir/expr.js';
import type { DType } from '../ir/dtype.js';
import type { Dim, TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { abs, compute, pow, reduceAxis, reduceMax, reduceMin, sqrt, sum } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext, NodeContext } from './context.js';
import { checkDType, mapElements } from './check.js';
import { reduceStage } from './reduce.js';
import { defineOp } from './registry.js';
import { ravel, showShape, unknownDim } from './shape.js';
import type { WindowAttrs } from './window.js';
import { lowest, padsOf, padStage, windowAttrs, windowOutput } from './window.js';

function poolInfer(ctx: InferContext, indices = false): TensorType[] {
  const x = ctx.type(0);
  if (x.shape.length < 3) throw ctx.fail(`input must have a batch, a channel and a spatial dim, got ${showShape(x.shape)}`);
  const win = windowAttrs(ctx, x.shape.length - 2);
  const shape = [x.shape[0], x.shape[1], ...x.shape.slice(2).map((d, k) => windowOutput(ctx, win, k, d))];
  return indices ? [tensorType(x.dtype, shape), tensorType('int64', shape)] : [tensorType(x.dtype, shape)];
}

interface Pool {
  readonly x: Tensor;
  readonly win: WindowAttrs;
  readonly out: readonly number[];
  /** [padBegin, padEnd] per spatial dim */
  readonly pads: readonly [number, number][];
  readonly padded: Tensor;
  readonly axes: readonly IterVar[];
  /** the padded input's spatial index for output position `o` and the window axes */
  at(o: readonly Var[]): Expr[];
}

function pool(ctx: ComputeContext, fill: (t: DType) => Expr): Pool {
  const x = ctx.input(0);
  const rank = x.ndim - 2;
  const win = windowAttrs(ctx, rank);
  const out = ctx.outputs[0].shape;
  const pads = x.shape.slice(2).map((d, k): [number, number] => padsOf(win, k, d) ?? [0, 0]);
  const reach = (k: number): number => (out[k + 2] - 1) * win.strides[k] + (win.kernel[k] - 1) * win.dilations[k] + 1;
  const extent = pads.map((p, k) => Math.max(x.shape[k + 2] + p[0] + p[1], reach(k)));
  const padded = padStage(x, [0, 0, ...pads.map((p) => p[0])], [x.shape[0], x.shape[1], ...extent], fill(x.dtype));
  const axes = win.kernel.map((k, i) => reduceAxis(k, rank === 2 ? ['ry', 'rx'][i] : `r${i}`));
  const at = (o: readonly Var[]): Expr[] =>
    o.slice(2).map((v, k) => add(win.strides[k] === 1 ? v : mul(v, win.strides[k]), win.dilations[k] === 1 ? axes[k].var : mul(axes[k].var, win.dilations[k])));
  return { x, win, out, pads, padded, axes, at };
}

const poolOpts = { tag: 'pool' } as const;

// --- MaxPool ------------------------------------------------------------------------------------

/**
 * The flat input index of each window's first max: row-major over (n, c, spatial), or with the
 * spatial dims column-major for storage_order 1.
 */
function maxIndices(p: Pool, best: Tensor, columnMajor: boolean): Tensor {
  const spatial = p.x.shape.slice(2);
  return compute(p.out, (...o) => {
    const src = p.at(o).map((v, k) => sub(v, p.pads[k][0]));
    const inside = src.map((v, k) => and(ge(v, 0), lt(v, spatial[k]))).reduce((a, b) => and(a, b));
    const order = columnMajor ? [...src.keys()].reverse() : [...src.keys()];
    let flat: Expr = add(mul(o[0], p.x.shape[1]), o[1]);
    for (const k of order) flat = add(mul(flat, spatial[k]), src[k]);
    const hit = and(inside, eq(p.padded.at(o[0], o[1], ...p.at(o)), best.at(...o)));
    return reduceMin(select(hit, cast(flat, 'int64'), constant(Number.MAX_SAFE_INTEGER, 'int64')), p.axes);
  }, 'max_pool_indices', poolOpts);
}

defineOp({
  name: 'MaxPool',
  inputs: [1, 1],
  outputs: [1, 2],
  pattern: 'outEwiseFusable',
  infer(ctx) {
    checkDType(ctx, ctx.type(0).dtype, 'numeric');
    return poolInfer(ctx, true);
  },
  compute(ctx) {
    const p = pool(ctx, lowest);
    const y = compute(p.out, (...o) => reduceMax(p.padded.at(o[0], o[1], ...p.at(o)), p.axes), 'max_pool', poolOpts);
    if (ctx.outputCount < 2) return [y];
    return [y, maxIndices(p, y, ctx.int('storage_order', 0) !== 0)];
  },
});

// --- AveragePool --------------------------------------------------------------------------------

/** How many of the k window positions o·s − b + r·d (r < k) lie in [lo, hi). */
function windowCount(o: Var, win: WindowAttrs, k: number, b: number, lo: number, hi: number): Expr {
  const [s, d, n] = [win.strides[k], win.dilations[k], win.kernel[k]];
  const base = sub(mul(o, s), b);
  const first = max(floordiv(add(sub(lo, base), d - 1), d), 0);
  const last = min(floordiv(sub(sub(hi, 1), base), d), n - 1);
  return max(add(sub(last, first), 1), 0);
}

/** The divisor of each output position, or a constant when every window is whole. */
function divisor(p: Pool, includePad: boolean, o: readonly Var[], dtype: DType): Expr {
  let full = 1;
  let count: Expr | null = null;
  p.win.kernel.forEach((k, i) => {
    const n = p.x.shape[i + 2];
    const [b, e] = p.pads[i];
    const [lo, hi] = includePad ? [-b, n + e] : [0, n];
    const lastEnd = (p.out[i + 2] - 1) * p.win.strides[i] - b + (k - 1) * p.win.dilations[i] + 1;
    if (lastEnd <= hi && (includePad || b === 0)) {
      full *= k;
      return;
    }
    const c = windowCount(o[i + 2], p.win, i, b, lo, hi);
    count = count ? mul(count, c) : c;
  });
  const whole = constant(full, dtype);
  return count === null ? whole : mul(cast(count, dtype), whole);
}

defineOp({
  name: 'AveragePool',
  inputs: [1, 1],
  outputs: [1, 1],
  pattern: 'outEwiseFusable',
  infer(ctx) {
    checkDType(ctx, ctx.type(0).dtype, 'float');
    return poolInfer(ctx);
  },
  compute(ctx) {
    const p = pool(ctx, (t) => constant(0, t));
    const total = compute(p.out, (...o) => sum(p.padded.at(o[0], o[1], ...p.at(o)), p.axes), 'avg_pool_sum', poolOpts);
    const includePad = ctx.int('count_include_pad', 0) !== 0;
    return [compute(p.out, (...o) => div(total.at(...o), divisor(p, includePad, o, p.x.dtype)), 'avg_pool', { tag: 'elemwise' })];
  },
});

// --- LpPool -------------------------------------------------------------------------------------

/** |x|^p, with p = 1 and 2 spelled without pow. */
function powP(x: Expr, p: number): Expr {
  if (p === 1) return abs(x);
  if (p === 2) return mul(x, x);
  return pow(abs(x), constant(p, x.dtype));
}

function rootP(x: Expr, p: number): Expr {
  if (p === 1) return x;
  if (p === 2) return sqrt(x);
  return pow(x, constant(1 / p, x.dtype));
}

defineOp({
  name: 'LpPool',
  inputs: [1, 1],
  outputs: [1, 1],
  pattern: 'outEwiseFusable',
  infer(ctx) {
    checkDType(ctx, ctx.type(0).dtype, 'float');
    return poolInfer(ctx);
  },
  compute(ctx) {
    const p = pool(ctx, (t) => constant(0, t));
    const order = ctx.int('p', 2);
    const total = compute(p.out, (...o) => sum(powP(p.padded.at(o[0], o[1], ...p.at(o)), order), p.axes), 'lp_pool_sum', poolOpts);
    return [mapElements(total, (v) => rootP(v, order), 'lp_pool')];
  },
});

// --- global pools -------------------------------------------------------------------------------

type GlobalKind = 'avg' | 'max' | 'lp';

function globalCompute(ctx: ComputeContext, kind: GlobalKind): Tensor[] {
  const x = ctx.input(0);
  const axes = x.shape.slice(2).map((_, k) => k + 2);
  const count = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const order = kind === 'lp' ? ctx.int('p', 2) : 1;
  const op = kind === 'max' ? 'max' : 'sum';
  const r = reduceStage(x, axes, true, op, (idx) => (kind === 'lp' ? powP(x.at(...idx), order) : x.at(...idx)), `global_${kind}_pool`);
  if (kind === 'max') return [r];
  if (kind === 'lp') return [mapElements(r, (v) => rootP(v, order), 'global_lp_pool_root')];
  return [mapElements(r, (v) => div(v, constant(count, v.dtype)), 'global_avg_pool_mean')];
}

for (const [name, kind] of [['GlobalAveragePool', 'avg'], ['GlobalMaxPool', 'max'], ['GlobalLpPool', 'lp']] as const) {
  defineOp({
    name,
    inputs: [1, 1],
    outputs: [1, 1],
    pattern: 'outEwiseFusable',
    infer(ctx) {
      const x = ctx.type(0);
      checkDType(ctx, x.dtype, kind === 'max' ? 'numeric' : 'float');
      if (x.shape.length < 3) throw ctx.fail(`input must have a batch, a channel and a spatial dim, got ${showShape(x.shape)}`);
      return [tensorType(x.dtype, [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)])];
    },
    compute: (ctx) => globalCompute(ctx, kind),
  });
}

// --- MaxUnpool ----------------------------------------------------------------------------------

/** The spatial dims MaxUnpool's indices refer to: (in − 1)·s − pads + k. */
function unpooledDims(ctx: NodeContext, x: TensorType): Dim[] {
  const win = windowAttrs(ctx, x.shape.length - 2);
  const rank = win.kernel.length;
  return x.shape.slice(2).map((d, k) => (typeof d === 'number' ? (d - 1) * win.strides[k] - win.pads[k] - win.pads[k + rank] + win.kernel[k] : unknownDim()));
}

/** MaxUnpool's output spatial dims: output_shape when given, else the unpooled dims. */
function unpoolShape(ctx: NodeContext, x: TensorType): Dim[] {
  if (!ctx.has(2)) return unpooledDims(ctx, x);
  const given = ctx.constantValues(2);
  return given ? given.slice(2) : x.shape.slice(2).map(unknownDim);
}

defineOp({
  name: 'MaxUnpool',
  inputs: [2, 3],
  outputs: [1, 1],
  pattern: 'opaque',
  infer(ctx) {
    const [x, idx] = [ctx.type(0), ctx.type(1)];
    checkDType(ctx, idx.dtype, 'integer', 'input 1 (indices)');
    if (x.shape.length < 3) throw ctx.fail(`input must have a batch, a channel and a spatial dim, got ${showShape(x.shape)}`);
    return [tensorType(x.dtype, [x.shape[0], x.shape[1], ...unpoolShape(ctx, x)])];
  },
  compute(ctx) {
    // each output element gathers the input elements whose flat index (in the unpooled layout,
    // which a larger output_shape pads at the end) names it
    const [x, idx] = [ctx.input(0), ctx.input(1)];
    const out = ctx.outputs[0].shape;
    const layout = [x.shape[0], x.shape[1], ...(unpooledDims(ctx, { dtype: x.dtype, shape: x.shape }) as number[])];
    const axes = x.shape.slice(2).map((d, k) => reduceAxis(d, `r${k}`));
    return [
      compute(out, (n, c, ...o) => {
        const src = [n, c, ...axes.map((a) => a.var)];
        const named = eq(idx.at(...src), cast(ravel([n, c, ...o], layout), idx.dtype));
        const hit = o.reduce<Expr>((h, v, k) => (out[k + 2] > layout[k + 2] ? and(h, lt(v, layout[k + 2])) : h), named);
        return sum(select(hit, x.at(...src), constant(0, x.dtype)), axes);
      }, 'max_unpool', poolOpts),
    ];
  },
});
