/**
 * @file Reductions: ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare, ArgMax/ArgMin,
 * and the running reductions CumSum/CumProd. `reduceStage` is the one builder: a compute over the
 * kept dims whose body folds a per-element expression over the reduced dims; the ops add a
 * finishing element-wise stage where their formula needs one (the mean's division, L2's root).
 */

import type { Expr, IterVar, ReduceOp, Var } from '../ir/expr.js';
import { add, cast, constant, div, eq, ge, gt, le, lt, mul, ne, select, sub } from '../ir/expr.js';
import type { TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { abs, compute, exp, log, prod, reduceAxis, reduceMax, reduceMin, sqrt, sum } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext, NodeContext } from './context.js';
import { checkDType, mapElements } from './check.js';
import { listParam } from './params.js';
import { defineOp } from './registry.js';
import { normalizeAxes, normalizeAxis, showShape } from './shape.js';

const FOLD: Record<ReduceOp, (e: Expr, axes: readonly IterVar[], where?: Expr | null) => Expr> = { sum, prod, max: reduceMax, min: reduceMin };

/**
 * out[kept…] = op over the `axes` of `x` of body(full index), with the reduced dims kept as 1s
 * (`keepdims`) or dropped. A reduction over nothing (no axes) is body itself.
 */
export function reduceStage(x: Tensor, axes: readonly number[], keepdims: boolean, op: ReduceOp, body: (idx: readonly Expr[]) => Expr, name: string): Tensor {
  const shape = x.shape.flatMap((d, k) => (axes.includes(k) ? (keepdims ? [1] : []) : [d]));
  const raxes = axes.map((a, j) => reduceAxis(x.shape[a], `r${j}`));
  return compute(shape, (...o) => {
    let next = 0;
    const idx = x.shape.map((_, k): Expr => {
      const r = axes.indexOf(k);
      if (r >= 0) {
        if (keepdims) next++;
        return raxes[r].var;
      }
      return o[next++];
    });
    return raxes.length === 0 ? body(idx) : FOLD[op](body(idx), raxes);
  }, name, { tag: 'reduce' });
}

/** The index `idx` of a full-rank tensor, read in a keepdims-shaped one (0 on `axes`). */
export function keptIndex(idx: readonly Expr[], axes: readonly number[]): Expr[] {
  return idx.map((v, k) => (axes.includes(k) ? constant(0, 'int32') : v));
}

interface Axes {
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}

/** The reduced axes (all when none are given, none for noop_with_empty_axes), or null when unknown. */
function reduceAxes(ctx: NodeContext, rank: number): Axes | null {
  const keepdims = ctx.int('keepdims', 1) !== 0;
  const p = listParam(ctx, 'axes', 1);
  if (p === 'unknown') return null;
  if (p === 'absent' || p.length === 0) {
    const noop = ctx.int('noop_with_empty_axes', 0) !== 0;
    return { axes: noop ? [] : Array.from({ length: rank }, (_, k) => k), keepdims };
  }
  return { axes: normalizeAxes(ctx, p, rank), keepdims };
}

function reducedType(ctx: InferContext, dtype = ctx.type(0).dtype): TensorType[] {
  const x = ctx.type(0);
  const a = reduceAxes(ctx, x.shape.length);
  if (a === null) throw ctx.fail('axes must be a constant');
  return [tensorType(dtype, x.shape.flatMap((d, k) => (a.axes.includes(k) ? (a.keepdims ? [1] : []) : [d])))];
}

interface ReduceSpec {
  readonly name: string;
  readonly op: ReduceOp;
  readonly accepts: 'float' | 'numeric' | 'any';
  /** the element folded, from x's element */
  readonly pre?: (x: Expr) => Expr;
  /** the result from the fold and the number of elements folded */
  readonly post?: (r: Expr, count: number) => Expr;
}

const REDUCE: readonly ReduceSpec[] = [
  { name: 'ReduceSum', op: 'sum', accepts: 'numeric' },
  { name: 'ReduceMean', op: 'sum', accepts: 'numeric', post: (r, n) => div(r, constant(n, r.dtype)) },
  { name: 'ReduceMax', op: 'max', accepts: 'any' },
  { name: 'ReduceMin', op: 'min', accepts: 'any' },
  { name: 'ReduceProd', op: 'prod', accepts: 'numeric' },
  { name: 'ReduceL1', op: 'sum', accepts: 'numeric', pre: (x) => (x.dtype === 'uint8' ? x : abs(x)) },
  { name: 'ReduceL2', op: 'sum', accepts: 'float', pre: (x) => mul(x, x), post: (r) => sqrt(r) },
  { name: 'ReduceSumSquare', op: 'sum', accepts: 'numeric', pre: (x) => mul(x, x) },
  { name: 'ReduceLogSum', op: 'sum', accepts: 'float', post: (r) => log(r) },
];

function defineReduce(spec: ReduceSpec): void {
  defineOp({
    name: spec.name,
    inputs: [1, 2],
    outputs: [1, 1],
    pattern: 'reduction',
    infer(ctx) {
      checkDType(ctx, ctx.type(0).dtype, spec.accepts);
      return reducedType(ctx);
    },
    compute(ctx) {
      const x = ctx.input(0);
      const { axes, keepdims } = reduceAxes(ctx, x.ndim) ?? { axes: [], keepdims: true };
      // bools have no arithmetic: max/min over them run on 0/1 bytes
      const isBool = x.dtype === 'bool';
      const pre = spec.pre ?? ((v: Expr) => (isBool ? cast(v, 'uint8') : v));
      const r = reduceStage(x, axes, keepdims, spec.op, (idx) => pre(x.at(...idx)), spec.name.toLowerCase());
      if (isBool) return [mapElements(r, (v) => ne(v, constant(0, v.dtype)), `${spec.name.toLowerCase()}_bool`)];
      const post = spec.post;
      if (!post || axes.length === 0) return [r];
      const count = axes.reduce((n, a) => n * x.shape[a], 1);
      return [mapElements(r, (v) => post(v, count), `${spec.name.toLowerCase()}_post`)];
    },
  });
}

for (const spec of REDUCE) defineReduce(spec);

/** log Σ exp(x) as m + log Σ exp(x − m), m the max, so that large inputs do not overflow. */
function logSumExp(ctx: ComputeContext): Tensor[] {
  const x = ctx.input(0);
  const { axes, keepdims } = reduceAxes(ctx, x.ndim) ?? { axes: [], keepdims: true };
  if (axes.length === 0) return [mapElements(x, (v) => v, 'reducelogsumexp')];
  const m = reduceStage(x, axes, true, 'max', (idx) => x.at(...idx), 'logsumexp_max');
  const finite = (v: Expr): Expr => select(eq(abs(v), constant(Infinity, v.dtype)), constant(0, v.dtype), v);
  const s = reduceStage(x, axes, keepdims, 'sum', (idx) => exp(sub(x.at(...idx), finite(m.at(...keptIndex(idx, axes))))), 'logsumexp_sum');
  return [
    compute(s.shape, (...o) => {
      return add(log(s.at(...o)), finite(m.at(...maxIndex(o, x.ndim, axes, keepdims))));
    }, 'reducelogsumexp', { tag: 'elemwise' }),
  ];
}

/** The index into a keepdims-shaped tensor of output index `o` (itself keepdims-shaped or not). */
function maxIndex(o: readonly Var[], rank: number, axes: readonly number[], keepdims: boolean): Expr[] {
  let next = 0;
  return Array.from({ length: rank }, (_, k): Expr => {
    if (!axes.includes(k)) return o[next++];
    if (keepdims) next++;
    return constant(0, 'int32');
  });
}

defineOp({
  name: 'ReduceLogSumExp',
  inputs: [1, 2],
  outputs: [1, 1],
  pattern: 'reduction',
  infer(ctx) {
    checkDType(ctx, ctx.type(0).dtype, 'float');
    return reducedType(ctx);
  },
  compute: logSumExp,
});

// --- ArgMax, ArgMin ---------------------------------------------------------------------------------

/** The first (or last) position along `axis` where x equals its max (or min), as int64. */
function argCompute(ctx: ComputeContext, op: 'max' | 'min'): Tensor[] {
  const x = ctx.input(0);
  const axis = normalizeAxis(ctx, ctx.int('axis', 0), x.ndim);
  const keepdims = ctx.int('keepdims', 1) !== 0;
  const last = ctx.int('select_last_index', 0) !== 0;
  const best = reduceStage(x, [axis], true, op, (idx) => x.at(...idx), `arg${op}_value`);
  const n = x.shape[axis];
  const pos = reduceStage(x, [axis], keepdims, last ? 'max' : 'min', (idx) => {
    const hit = eq(x.at(...idx), best.at(...keptIndex(idx, [axis])));
    return select(hit, cast(idx[axis], 'int64'), constant(last ? -1 : n, 'int64'));
  }, `arg${op}`);
  return [pos];
}

for (const op of ['max', 'min'] as const) {
  defineOp({
    name: op === 'max' ? 'ArgMax' : 'ArgMin',
    inputs: [1, 1],
    outputs: [1, 1],
    pattern: 'reduction',
    infer(ctx) {
      const x = ctx.type(0);
      checkDType(ctx, x.dtype, 'numeric');
      const axis = normalizeAxis(ctx, ctx.int('axis', 0), x.shape.length);
      const keep = ctx.int('keepdims', 1) !== 0;
      return [tensorType('int64', x.shape.flatMap((d, k) => (k === axis ? (keep ? [1] : []) : [d])))];
    },
    compute: (ctx) => argCompute(ctx, op),
  });
}

// --- CumSum, CumProd ----------------------------------------------------------------------------------

function cumulative(ctx: ComputeContext, op: 'sum' | 'prod'): Tensor[] {
  const x = ctx.input(0);
  const a = ctx.constantValues(1);
  if (a === null || a.length !== 1) throw ctx.fail('axis must be a constant scalar');
  const axis = normalizeAxis(ctx, a[0], x.ndim);
  const exclusive = ctx.int('exclusive', 0) !== 0;
  const reverse = ctx.int('reverse', 0) !== 0;
  const r = reduceAxis(x.shape[axis], 'r');
  const cmp = reverse ? (exclusive ? gt : ge) : exclusive ? lt : le;
  return [
    compute(x.shape, (...i) => {
      if (x.shape[axis] === 0) return constant(op === 'sum' ? 0 : 1, x.dtype);
      const idx: Var[] = i.map((v, k) => (k === axis ? r.var : v));
      return FOLD[op](x.at(...idx), [r], cmp(r.var, i[axis]));
    }, `cum${op}`, { tag: 'reduce' }),
  ];
}

for (const op of ['sum', 'prod'] as const) {
  defineOp({
    name: op === 'sum' ? 'CumSum' : 'CumProd',
    inputs: [2, 2],
    outputs: [1, 1],
    pattern: 'opaque',
    infer(ctx) {
      const x = ctx.type(0);
      checkDType(ctx, x.dtype, 'numeric');
      checkDType(ctx, ctx.type(1).dtype, 'integer', 'input 1 (axis)');
      if (ctx.type(1).shape.some((d) => d !== 1)) throw ctx.fail(`axis must be a scalar, got shape ${showShape(ctx.type(1).shape)}`);
      return [tensorType(x.dtype, x.shape)];
    },
    compute: (ctx) => cumulative(ctx, op),
  });
}

