/**
 * @file TopK, by ranking: each element's rank along the axis is the number of elements that come
 * before it (greater — or smaller for largest=0 — or equal with a lower index, which is ONNX's
 * tie order), and output j along the axis is the element of rank j. Quadratic in the axis
 * extent, which suits the short axes TopK sees in inference graphs.
 */

import type { Expr, Var } from '../ir/expr.js';
import { and, cast, constant, eq, gt, lt, or, select } from '../ir/expr.js';
import { tensorType } from '../graph/types.js';
import { compute, reduceAxis, reduceMax, sum } from '../te/compute.js';
import type { NodeContext } from './context.js';
import { checkDType } from './check.js';
import { defineOp } from './registry.js';
import { normalizeAxis, unknownDim } from './shape.js';
import { lowest } from './window.js';

function kOf(ctx: NodeContext, extent: number | string): number | null {
  const k = ctx.opset < 10 ? [ctx.int('k')] : ctx.constantValues(1);
  if (k === null) return null;
  if (k.length !== 1 || k[0] < 0) throw ctx.fail(`k must be one non-negative value, got [${k.join(', ')}]`);
  if (typeof extent === 'number' && k[0] > extent) throw ctx.fail(`k ${k[0]} exceeds the axis extent ${extent}`);
  return k[0];
}

defineOp({
  name: 'TopK',
  inputs: [1, 2],
  outputs: [2, 2],
  pattern: 'opaque',
  infer(ctx) {
    const x = ctx.type(0);
    checkDType(ctx, x.dtype, 'numeric');
    const axis = normalizeAxis(ctx, ctx.int('axis', -1), x.shape.length);
    const k = kOf(ctx, x.shape[axis]);
    const shape = x.shape.map((d, a) => (a === axis ? (k ?? unknownDim()) : d));
    return [tensorType(x.dtype, shape), tensorType('int64', shape)];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const axis = normalizeAxis(ctx, ctx.int('axis', -1), x.ndim);
    const largest = ctx.int('largest', 1) !== 0;
    const n = x.shape[axis];
    const along = (i: readonly Var[], v: Expr): Expr[] => i.map((u, d) => (d === axis ? v : u));
    const r = reduceAxis(n, 'r');
    const rank = compute(x.shape, (...i) => {
      const [other, self] = [x.at(...along(i, r.var)), x.at(...i)];
      const before = or(largest ? gt(other, self) : lt(other, self), and(eq(other, self), lt(r.var, i[axis])));
      return sum(select(before, 1, 0), [r]);
    }, 'topk_rank', { tag: 'reduce' });
    const shape = ctx.outputs[0].shape;
    const s = reduceAxis(n, 's');
    const hit = (i: readonly Var[]): Expr => eq(rank.at(...along(i, s.var)), i[axis]);
    const values = compute(shape, (...i) => reduceMax(select(hit(i), x.at(...along(i, s.var)), lowest(x.dtype)), [s]), 'topk_values', { tag: 'reduce' });
    const t = reduceAxis(n, 't');
    const hitT = (i: readonly Var[]): Expr => eq(rank.at(...along(i, t.var)), i[axis]);
    const indices = compute(shape, (...i) => sum(select(hitT(i), cast(t.var, 'int64'), constant(0, 'int64')), [t]), 'topk_indices', { tag: 'reduce' });
    return [values, indices];
  },
});

