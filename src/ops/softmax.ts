/**
 * @file Softmax, LogSoftmax and Hardmax. Before opset 13 they act on the input coerced to 2-d at
 * `axis` (one row per index of the leading dims, reducing over all trailing dims); from 13 on a
 * single axis. Softmax is three stages — the max, the sum of exp(x − max), then the division — so
 * that large inputs do not overflow and strategies can schedule the reductions.
 */

import type { Expr } from '../ir/expr.js';
import { cast, div, eq, select, sub } from '../ir/expr.js';
import { tensorType } from '../graph/types.js';
import { compute, exp, log } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, NodeContext } from './context.js';
import { checkDType } from './check.js';
import { keptIndex, reduceStage } from './reduce.js';
import { defineOp } from './registry.js';
import { normalizeAxis, ravel } from './shape.js';

/** The axes one softmax row spans. */
function rowAxes(ctx: NodeContext, rank: number): number[] {
  const legacy = ctx.opset < 13;
  if (rank === 0) return [];
  const axis = normalizeAxis(ctx, ctx.int('axis', legacy ? 1 : -1), rank);
  return legacy ? Array.from({ length: rank - axis }, (_, k) => axis + k) : [axis];
}

interface Rows {
  readonly x: Tensor;
  readonly axes: readonly number[];
  /** the row max, keepdims-shaped */
  readonly max: Tensor;
  /** x − max at a full index */
  shifted(idx: readonly Expr[]): Expr;
}

function rows(ctx: ComputeContext, name: string): Rows {
  const x = ctx.input(0);
  return rowsOf(x, rowAxes(ctx, x.ndim), name);
}

function rowsOf(x: Tensor, axes: readonly number[], name: string): Rows {
  const max = reduceStage(x, axes, true, 'max', (idx) => x.at(...idx), `${name}_max`);
  return { x, axes, max, shifted: (idx) => sub(x.at(...idx), max.at(...keptIndex(idx, axes))) };
}

/** The softmax of `x` over `axes`: max, sum of exp(x − max), division. */
export function softmaxOf(x: Tensor, axes: readonly number[], name = 'softmax'): Tensor {
  const r = rowsOf(x, axes, name);
  const total = reduceStage(r.x, r.axes, true, 'sum', (idx) => exp(r.shifted(idx)), `${name}_sum`);
  return compute(r.x.shape, (...i) => div(exp(r.shifted(i)), total.at(...keptIndex(i, r.axes))), name, { tag: 'softmax' });
}

function softmax(ctx: ComputeContext): Tensor[] {
  const x = ctx.input(0);
  return [softmaxOf(x, rowAxes(ctx, x.ndim))];
}

function logSoftmax(ctx: ComputeContext): Tensor[] {
  const r = rows(ctx, 'log_softmax');
  const total = reduceStage(r.x, r.axes, true, 'sum', (idx) => exp(r.shifted(idx)), 'log_softmax_sum');
  return [compute(r.x.shape, (...i) => sub(r.shifted(i), log(total.at(...keptIndex(i, r.axes)))), 'log_softmax', { tag: 'softmax' })];
}

/** 1 at the first (row-major) position of each row's max, 0 elsewhere. */
function hardmax(ctx: ComputeContext): Tensor[] {
  const r = rows(ctx, 'hardmax');
  const extents = r.axes.map((a) => r.x.shape[a]);
  const rowSize = extents.reduce((a, b) => a * b, 1);
  const flat = (idx: readonly Expr[]): Expr => ravel(r.axes.map((a) => idx[a]), extents);
  const isMax = (idx: readonly Expr[]): Expr => eq(r.x.at(...idx), r.max.at(...keptIndex(idx, r.axes)));
  const first = reduceStage(r.x, r.axes, true, 'min', (idx) => select(isMax(idx), flat(idx), rowSize), 'hardmax_first');
  return [
    compute(r.x.shape, (...i) => cast(eq(flat(i), first.at(...keptIndex(i, r.axes))), r.x.dtype), 'hardmax', { tag: 'injective' }),
  ];
}

const KINDS: readonly [string, (ctx: ComputeContext) => Tensor[]][] = [
  ['Softmax', softmax],
  ['LogSoftmax', logSoftmax],
  ['Hardmax', hardmax],
];

for (const [name, fn] of KINDS) {
  defineOp({
    name,
    inputs: [1, 1],
    outputs: [1, 1],
    pattern: 'opaque',
    infer(ctx) {
      const x = ctx.type(0);
      checkDType(ctx, x.dtype, 'float');
      rowAxes(ctx, x.shape.length);
      return [tensorType(x.dtype, x.shape)];
    },
    compute: fn,
  });
}
