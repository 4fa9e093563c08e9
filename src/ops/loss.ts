/**
 * @file Losses: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (a log-softmax over the
 * class axis followed by the same NLL). Per element, loss = −input[n, t, …]·weight[t] for the
 * target class t, 0 where t is ignore_index; reduction 'sum' adds them up, 'mean' divides by the
 * total weight of the targets not ignored.
 */

import type { Expr, Var } from '../ir/expr.js';
import { cast, constant, div, eq, mul, select, sub } from '../ir/expr.js';
import type { TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { compute, exp, log } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext, NodeContext } from './context.js';
import { checkDType } from './check.js';
import { keptIndex, reduceStage } from './reduce.js';
import { defineOp } from './registry.js';
import { showShape } from './shape.js';

type Reduction = 'none' | 'sum' | 'mean';

function reductionOf(ctx: NodeContext): Reduction {
  const r = ctx.string('reduction', 'mean');
  if (r !== 'none' && r !== 'sum' && r !== 'mean') throw ctx.fail(`reduction must be none, sum or mean, got "${r}"`);
  return r;
}

/** Checks scores [N, C, d…], target [N, d…] and weight [C]; the type of the loss. */
function lossInfer(ctx: InferContext): TensorType {
  const [x, target, weight] = [ctx.type(0), ctx.type(1), ctx.optionalType(2)];
  checkDType(ctx, x.dtype, 'float');
  checkDType(ctx, target.dtype, 'integer', 'input 1 (target)');
  if (x.shape.length < 2 || target.shape.length !== x.shape.length - 1) {
    throw ctx.fail(`input ${showShape(x.shape)} and target ${showShape(target.shape)} must be [N, C, d…] and [N, d…]`);
  }
  if (weight && weight.shape.length !== 1) throw ctx.fail(`weight must be 1-d, got ${showShape(weight.shape)}`);
  return tensorType(x.dtype, reductionOf(ctx) === 'none' ? target.shape : []);
}

/** The NLL of log-probabilities `logp` ([N, C, d…]) against `target`, reduced as asked. */
function nll(ctx: ComputeContext, logp: Tensor, target: Tensor, weight: Tensor | null): Tensor {
  const ignore = ctx.hasAttr('ignore_index') ? ctx.int('ignore_index') : null;
  const dtype = logp.dtype;
  const cls = (i: readonly Var[]): { ignored: Expr | null; c: Expr } => {
    const t = cast(target.at(...i), 'int32');
    if (ignore === null) return { ignored: null, c: t };
    const ignored = eq(t, ignore);
    return { ignored, c: select(ignored, 0, t) };
  };
  const weightOf = (c: Expr): Expr => (weight ? weight.at(c) : constant(1, dtype));
  const masked = (ignored: Expr | null, v: Expr): Expr => (ignored ? select(ignored, constant(0, dtype), v) : v);
  const loss = compute(target.shape, (...i) => {
    const { ignored, c } = cls(i);
    return masked(ignored, sub(constant(0, dtype), mul(logp.at(i[0], c, ...i.slice(1)), weightOf(c))));
  }, 'nll', { tag: 'injective' });
  const reduction = reductionOf(ctx);
  if (reduction === 'none') return loss;
  const all = target.shape.map((_, k) => k);
  const total = reduceStage(loss, all, false, 'sum', (idx) => loss.at(...idx), 'nll_sum');
  if (reduction === 'sum') return total;
  const weights = compute(target.shape, (...i) => {
    const { ignored, c } = cls(i);
    return masked(ignored, weightOf(c));
  }, 'nll_weight', { tag: 'injective' });
  const count = reduceStage(weights, all, false, 'sum', (idx) => weights.at(...idx), 'nll_weight_sum');
  return compute([], () => div(total.at(), count.at()), 'nll_mean', { tag: 'elemwise' });
}

defineOp({
  name: 'NegativeLogLikelihoodLoss',
  inputs: [2, 3],
  outputs: [1, 1],
  pattern: 'opaque',
  infer: (ctx) => [lossInfer(ctx)],
  compute: (ctx) => [nll(ctx, ctx.input(0), ctx.input(1), ctx.optionalInput(2))],
});

/** log softmax over axis 1: x − max − log Σ exp(x − max). */
function logSoftmaxClasses(x: Tensor): Tensor {
  const axes = [1];
  const max = reduceStage(x, axes, true, 'max', (idx) => x.at(...idx), 'sce_max');
  const shifted = (idx: readonly Expr[]): Expr => sub(x.at(...idx), max.at(...keptIndex(idx, axes)));
  const total = reduceStage(x, axes, true, 'sum', (idx) => exp(shifted(idx)), 'sce_sum');
  return compute(x.shape, (...i) => sub(shifted(i), log(total.at(...keptIndex(i, axes)))), 'log_prob', { tag: 'softmax' });
}

defineOp({
  name: 'SoftmaxCrossEntropyLoss',
  inputs: [2, 3],
  outputs: [1, 2],
  pattern: 'opaque',
  infer: (ctx) => [lossInfer(ctx), ctx.type(0)],
  compute(ctx) {
    const logp = logSoftmaxClasses(ctx.input(0));
    return [nll(ctx, logp, ctx.input(1), ctx.optionalInput(2)), logp];
  },
});

