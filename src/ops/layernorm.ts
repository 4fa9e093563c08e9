/**
 * @file Normalizations over trailing dims or channel groups: LayerNormalization (with its
 * optional Mean and InvStdDev outputs), RMSNormalization and GroupNormalization. Scale and bias
 * broadcast against the normalized dims (LayerNormalization, RMSNormalization) or per channel
 * (GroupNormalization; opset 18's per-group scale is accepted too).
 */

import type { Expr, Var } from '../ir/expr.js';
import { add, constant, div, floordiv, mul } from '../ir/expr.js';
import type { TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { compute, rsqrt, sqrt } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext } from './context.js';
import { checkDType, mapElements, sameDType } from './check.js';
import { moments, normalize } from './norm.js';
import { keptIndex, reduceStage } from './reduce.js';
import { reshapeTo } from './layout.js';
import { defineOp } from './registry.js';
import { broadcastShapes, normalizeAxis, readBroadcast, showShape } from './shape.js';

/** The normalized axes [axis, rank) and a check that scale/bias broadcast to X. */
function trailingInfer(ctx: InferContext): { x: TensorType; axes: number[] } {
  const x = ctx.type(0);
  checkDType(ctx, x.dtype, 'float');
  const axis = normalizeAxis(ctx, ctx.int('axis', -1), x.shape.length);
  for (const i of [1, 2]) {
    const p = ctx.optionalType(i);
    if (p === null) continue;
    sameDType(ctx, [x.dtype, p.dtype], `input 0 and input ${i}`);
    const b = broadcastShapes(ctx, [x.shape, p.shape]);
    if (b.length !== x.shape.length) throw ctx.fail(`input ${i} ${showShape(p.shape)} does not broadcast to ${showShape(x.shape)}`);
  }
  return { x, axes: Array.from({ length: x.shape.length - axis }, (_, k) => axis + k) };
}

/** scale and bias read at output index `i`, broadcast; null where absent. */
function affine(ctx: ComputeContext, i: readonly Var[]): [Expr | null, Expr | null] {
  const [s, b] = [ctx.optionalInput(1), ctx.optionalInput(2)];
  return [s && readBroadcast(s, i), b && readBroadcast(b, i)];
}

defineOp({
  name: 'LayerNormalization',
  inputs: [2, 3],
  outputs: [1, 3],
  pattern: 'opaque',
  infer(ctx) {
    const { x, axes } = trailingInfer(ctx);
    const stats = tensorType(x.dtype, x.shape.map((d, k) => (axes.includes(k) ? 1 : d)));
    return [tensorType(x.dtype, x.shape), stats, stats];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const axis = normalizeAxis(ctx, ctx.int('axis', -1), x.ndim);
    const axes = Array.from({ length: x.ndim - axis }, (_, k) => axis + k);
    const eps = ctx.float('epsilon', 1e-5);
    const { mean, variance } = moments(x, axes, 'layer_norm');
    const y = compute(x.shape, (...i) => {
      const k = keptIndex(i, axes);
      const [s, b] = affine(ctx, i);
      return normalize(x.at(...i), mean.at(...k), variance.at(...k), eps, s, b);
    }, 'layer_norm', { tag: 'broadcast' });
    const invStd = mapElements(variance, (v) => rsqrt(add(v, constant(eps, v.dtype))), 'layer_norm_inv_std');
    return [y, mean, invStd];
  },
});

defineOp({
  name: 'RMSNormalization',
  inputs: [2, 2],
  outputs: [1, 1],
  pattern: 'opaque',
  infer(ctx) {
    const { x } = trailingInfer(ctx);
    return [tensorType(x.dtype, x.shape)];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const axis = normalizeAxis(ctx, ctx.int('axis', -1), x.ndim);
    const axes = Array.from({ length: x.ndim - axis }, (_, k) => axis + k);
    const eps = ctx.float('epsilon', 1e-5);
    const count = constant(axes.reduce((n, a) => n * x.shape[a], 1), x.dtype);
    const sq = reduceStage(x, axes, true, 'sum', (idx) => mul(x.at(...idx), x.at(...idx)), 'rms_norm_sqsum');
    const rms = mapElements(sq, (v) => sqrt(add(div(v, count), constant(eps, v.dtype))), 'rms_norm_rms');
    return [
      compute(x.shape, (...i) => {
        const [s] = affine(ctx, i);
        const y = div(x.at(...i), rms.at(...keptIndex(i, axes)));
        return s ? mul(y, s) : y;
      }, 'rms_norm', { tag: 'broadcast' }),
    ];
  },
});

// --- GroupNormalization -------------------------------------------------------------------------------

function groupsOf(ctx: InferContext | ComputeContext, channels: number | string): number {
  const g = ctx.int('num_groups');
  if (g < 1) throw ctx.fail(`num_groups must be positive, got ${g}`);
  if (typeof channels === 'number' && channels % g !== 0) throw ctx.fail(`num_groups ${g} does not divide the ${channels} channels`);
  return g;
}

defineOp({
  name: 'GroupNormalization',
  inputs: [3, 3],
  outputs: [1, 1],
  pattern: 'opaque',
  infer(ctx) {
    const x = ctx.type(0);
    checkDType(ctx, x.dtype, 'float');
    if (x.shape.length < 3) throw ctx.fail(`input must have a batch, a channel and a spatial dim, got ${showShape(x.shape)}`);
    const g = groupsOf(ctx, x.shape[1]);
    for (const i of [1, 2]) {
      const n = ctx.type(i).shape;
      const ok = n.length === 1 && (typeof n[0] !== 'number' || n[0] === x.shape[1] || n[0] === g || typeof x.shape[1] !== 'number');
      if (!ok) throw ctx.fail(`input ${i} ${showShape(n)} must hold one value per channel or per group`);
    }
    return [tensorType(x.dtype, x.shape)];
  },
  compute(ctx) {
    const [x, scale, bias] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const [n, c] = [x.shape[0], x.shape[1]];
    const g = groupsOf(ctx, c);
    const grouped = reshapeTo(x, [n, g, (c / g) * x.shape.slice(2).reduce((a, b) => a * b, 1)], 'group_norm_rows');
    const { mean, variance } = moments(grouped, [2], 'group_norm');
    const eps = ctx.float('epsilon', 1e-5);
    const param = (t: Tensor, ch: Expr, grp: Expr): Expr => t.at(t.shape[0] === c ? ch : grp);
    return [
      compute(x.shape, (...i) => {
        const grp = floordiv(i[1], c / g);
        const at = [i[0], grp, constant(0, 'int32')];
        return normalize(x.at(...i), mean.at(...at), variance.at(...at), eps, param(scale, i[1], grp), param(bias, i[1], grp));
      }, 'group_norm', { tag: 'broadcast' }),
    ];
  },
});
