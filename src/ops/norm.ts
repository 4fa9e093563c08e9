/**
 * @file Normalizations over channels or windows: BatchNormalization (inference, and training mode
 * with batch statistics), InstanceNormalization, LRN, LpNormalization and
 * MeanVarianceNormalization. Statistics are reduction stages; the normalization itself is one
 * broadcast stage, written as the ONNX formula (x − mean) / sqrt(var + ε) · scale + bias.
 */

import type { Expr } from '../ir/expr.js';
import { add, constant, div, eq, mul, select, sub } from '../ir/expr.js';
import type { TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { abs, compute, pow, reduceAxis, sqrt, sum } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext } from './context.js';
import { checkDType, mapElements, sameDType } from './check.js';
import { keptIndex, reduceStage } from './reduce.js';
import { defineOp } from './registry.js';
import { normalizeAxes, normalizeAxis, showShape } from './shape.js';
import { padStage } from './window.js';

/** (x − mean) / sqrt(var + ε) · scale + bias. */
export function normalize(x: Expr, mean: Expr, variance: Expr, eps: number, scale: Expr | null, bias: Expr | null): Expr {
  let y: Expr = div(sub(x, mean), sqrt(add(variance, constant(eps, x.dtype))));
  if (scale) y = mul(y, scale);
  return bias ? add(y, bias) : y;
}

/** The mean and (population) variance of `x` over `axes`, keepdims-shaped. */
export function moments(x: Tensor, axes: readonly number[], name: string): { mean: Tensor; variance: Tensor } {
  const count = constant(axes.reduce((n, a) => n * x.shape[a], 1), x.dtype);
  const total = reduceStage(x, axes, true, 'sum', (idx) => x.at(...idx), `${name}_sum`);
  const mean = mapElements(total, (v) => div(v, count), `${name}_mean`);
  const sq = reduceStage(x, axes, true, 'sum', (idx) => {
    const d = sub(x.at(...idx), mean.at(...keptIndex(idx, axes)));
    return mul(d, d);
  }, `${name}_sqsum`);
  return { mean, variance: mapElements(sq, (v) => div(v, count), `${name}_var`) };
}

function channelInfer(ctx: InferContext, params: number[]): TensorType {
  const x = ctx.type(0);
  if (x.shape.length < 2) throw ctx.fail(`input must have a channel dim, got ${showShape(x.shape)}`);
  checkDType(ctx, x.dtype, 'float');
  for (const i of params) {
    const p = ctx.type(i);
    if (p.shape.length !== 1) throw ctx.fail(`input ${i} must be 1-d, got ${showShape(p.shape)}`);
    const [c, pc] = [x.shape[1], p.shape[0]];
    if (typeof c === 'number' && typeof pc === 'number' && c !== pc) throw ctx.fail(`input ${i} has ${pc} values for ${c} channels`);
  }
  sameDType(ctx, [x.dtype, ...params.map((i) => ctx.type(i).dtype)]);
  return tensorType(x.dtype, x.shape);
}

// --- BatchNormalization ---------------------------------------------------------------------------

function batchNormTraining(ctx: ComputeContext, x: Tensor, scale: Tensor, bias: Tensor, eps: number): Tensor[] {
  const axes = [0, ...x.shape.slice(2).map((_, k) => k + 2)];
  const { mean, variance } = moments(x, axes, 'batch_norm');
  const at0 = (t: Tensor, c: Expr): Expr => t.at(...x.shape.map((_, k) => (k === 1 ? c : constant(0, 'int32'))));
  const y = compute(x.shape, (...i) => normalize(x.at(...i), at0(mean, i[1]), at0(variance, i[1]), eps, scale.at(i[1]), bias.at(i[1])), 'batch_norm', {
    tag: 'broadcast',
  });
  const momentum = ctx.float('momentum', 0.9);
  const running = (old: Tensor, cur: Tensor, name: string): Tensor =>
    compute(old.shape, (c) => add(mul(old.at(c), constant(momentum, x.dtype)), mul(at0(cur, c), constant(1 - momentum, x.dtype))), name, { tag: 'broadcast' });
  return [y, running(ctx.input(3), mean, 'running_mean'), running(ctx.input(4), variance, 'running_var')];
}

defineOp({
  name: 'BatchNormalization',
  inputs: [5, 5],
  outputs: [1, 3],
  pattern: 'broadcast',
  infer(ctx) {
    const y = channelInfer(ctx, [1, 2, 3, 4]);
    const c = ctx.type(3);
    if (ctx.outputCount > 1 && ctx.int('training_mode', 0) === 0) throw ctx.fail('running statistics are outputs only in training mode');
    return [y, c, c];
  },
  compute(ctx) {
    const [x, scale, bias] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const eps = ctx.float('epsilon', 1e-5);
    if (ctx.int('training_mode', 0) !== 0) return batchNormTraining(ctx, x, scale, bias, eps);
    const [mean, variance] = [ctx.input(3), ctx.input(4)];
    return [compute(x.shape, (...i) => normalize(x.at(...i), mean.at(i[1]), variance.at(i[1]), eps, scale.at(i[1]), bias.at(i[1])), 'batch_norm', { tag: 'broadcast' })];
  },
});

// --- InstanceNormalization ----------------------------------------------------------------------------

defineOp({
  name: 'InstanceNormalization',
  inputs: [3, 3],
  outputs: [1, 1],
  pattern: 'opaque',
  infer: (ctx) => [channelInfer(ctx, [1, 2])],
  compute(ctx) {
    const [x, scale, bias] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const axes = x.shape.slice(2).map((_, k) => k + 2);
    const { mean, variance } = moments(x, axes, 'instance_norm');
    const eps = ctx.float('epsilon', 1e-5);
    return [
      compute(x.shape, (...i) => {
        const k = keptIndex(i, axes);
        return normalize(x.at(...i), mean.at(...k), variance.at(...k), eps, scale.at(i[1]), bias.at(i[1]));
      }, 'instance_norm', { tag: 'broadcast' }),
    ];
  },
});

// --- LRN ----------------------------------------------------------------------------------------

defineOp({
  name: 'LRN',
  inputs: [1, 1],
  outputs: [1, 1],
  pattern: 'opaque',
  infer(ctx) {
    const x = ctx.type(0);
    checkDType(ctx, x.dtype, 'float');
    if (x.shape.length < 2) throw ctx.fail(`input must have a channel dim, got ${showShape(x.shape)}`);
    if (ctx.int('size') < 1) throw ctx.fail(`size must be positive, got ${ctx.int('size')}`);
    return [tensorType(x.dtype, x.shape)];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const size = ctx.int('size');
    const [alpha, beta, bias] = [ctx.float('alpha', 1e-4), ctx.float('beta', 0.75), ctx.float('bias', 1)];
    const before = Math.floor((size - 1) / 2);
    const begin = x.shape.map((_, k) => (k === 1 ? before : 0));
    const padded = padStage(x, begin, x.shape.map((d, k) => (k === 1 ? d + size - 1 : d)), constant(0, x.dtype), 'lrn_pad');
    const r = reduceAxis(size, 'r');
    const sq = compute(x.shape, (n, c, ...rest) => {
      const v = padded.at(n, add(c, r.var), ...rest);
      return sum(mul(v, v), [r]);
    }, 'lrn_sqsum', { tag: 'reduce' });
    const scale = (s: Expr): Expr => add(constant(bias, x.dtype), mul(constant(alpha / size, x.dtype), s));
    return [compute(x.shape, (...i) => div(x.at(...i), pow(scale(sq.at(...i)), constant(beta, x.dtype))), 'lrn', { tag: 'elemwise' })];
  },
});

// --- LpNormalization, MeanVarianceNormalization ---------------------------------------------------------

defineOp({
  name: 'LpNormalization',
  inputs: [1, 1],
  outputs: [1, 1],
  pattern: 'opaque',
  infer(ctx) {
    const x = ctx.type(0);
    checkDType(ctx, x.dtype, 'float');
    normalizeAxis(ctx, ctx.int('axis', -1), x.shape.length);
    const p = ctx.int('p', 2);
    if (p !== 1 && p !== 2) throw ctx.fail(`p must be 1 or 2, got ${p}`);
    return [tensorType(x.dtype, x.shape)];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const axis = normalizeAxis(ctx, ctx.int('axis', -1), x.ndim);
    const p = ctx.int('p', 2);
    const norm = reduceStage(x, [axis], true, 'sum', (idx) => {
      const v = x.at(...idx);
      return p === 1 ? abs(v) : mul(v, v);
    }, 'lp_norm_sum');
    const root = p === 2 ? mapElements(norm, sqrt, 'lp_norm') : norm;
    // a zero vector stays zero rather than becoming 0/0
    return [
      compute(x.shape, (...i) => {
        const n = root.at(...keptIndex(i, [axis]));
        return select(eq(n, constant(0, x.dtype)), constant(0, x.dtype), div(x.at(...i), n));
      }, 'lp_normalization', { tag: 'broadcast' }),
    ];
  },
});

defineOp({
  name: 'MeanVarianceNormalization',
  inputs: [1, 1],
  outputs: [1, 1],
  pattern: 'opaque',
  infer(ctx) {
    const x = ctx.type(0);
    checkDType(ctx, x.dtype, 'float');
    normalizeAxes(ctx, ctx.ints('axes', [0, 2, 3]), x.shape.length);
    return [tensorType(x.dtype, x.shape)];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const axes = normalizeAxes(ctx, ctx.ints('axes', [0, 2, 3]), x.ndim);
    const { mean, variance } = moments(x, axes, 'mvn');
    return [
      compute(x.shape, (...i) => {
        const k = keptIndex(i, axes);
        return div(sub(x.at(...i), mean.at(...k)), add(sqrt(variance.at(...k)), constant(1e-9, x.dtype)));
      }, 'mvn', { tag: 'broadcast' }),
    ];
  },
});
