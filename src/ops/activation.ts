/**
 * @file Activation functions: element-wise ops with attributes (slopes, thresholds). Each is the
 * formula from the ONNX operator description, written for numerical stability where the direct
 * formula overflows (Softplus as max(x, 0) + log(1 + exp(−|x|))).
 */

import type { Expr } from '../ir/expr.js';
import { add, constant, div, ge, gt, lt, max, min, mul, select, sub } from '../ir/expr.js';
import { abs, erf, exp, log, sigmoid, tanh } from '../te/compute.js';
import type { NodeContext } from './context.js';
import { defineUnary } from './unary.js';

const c = (v: number, like: Expr): Expr => constant(v, like.dtype);

function softplus(x: Expr): Expr {
  return add(max(x, c(0, x)), log(add(c(1, x), exp(sub(c(0, x), abs(x))))));
}

/** alpha·(exp(x) − 1) for x < 0, else x. */
function elu(x: Expr, alpha: number): Expr {
  return select(lt(x, c(0, x)), mul(c(alpha, x), sub(exp(x), c(1, x))), x);
}

function hardSigmoid(x: Expr, alpha: number, beta: number): Expr {
  return max(c(0, x), min(c(1, x), add(mul(c(alpha, x), x), c(beta, x))));
}

function gelu(x: Expr, ctx: NodeContext): Expr {
  const mode = ctx.string('approximate', 'none');
  const half = mul(c(0.5, x), x);
  if (mode === 'none') return mul(half, add(c(1, x), erf(mul(x, c(Math.SQRT1_2, x)))));
  if (mode !== 'tanh') throw ctx.fail(`approximate must be "none" or "tanh", got "${mode}"`);
  const inner = mul(c(Math.sqrt(2 / Math.PI), x), add(x, mul(c(0.044715, x), mul(x, mul(x, x)))));
  return mul(half, add(c(1, x), tanh(inner)));
}

function shrink(x: Expr, ctx: NodeContext): Expr {
  const lambd = ctx.float('lambd', 0.5);
  const bias = ctx.float('bias', 0);
  return select(lt(x, c(-lambd, x)), add(x, c(bias, x)), select(gt(x, c(lambd, x)), sub(x, c(bias, x)), c(0, x)));
}

defineUnary({ name: 'Relu', accepts: 'signed', fn: (x) => max(x, c(0, x)) });
defineUnary({ name: 'LeakyRelu', accepts: 'float', fn: (x, ctx) => select(ge(x, c(0, x)), x, mul(x, c(ctx.float('alpha', 0.01), x))) });
defineUnary({ name: 'Elu', accepts: 'float', fn: (x, ctx) => elu(x, ctx.float('alpha', 1)) });
defineUnary({
  name: 'Selu',
  accepts: 'float',
  fn: (x, ctx) => mul(c(ctx.float('gamma', 1.0507009873554805), x), elu(x, ctx.float('alpha', 1.6732632423543772))),
});
defineUnary({
  name: 'Celu',
  accepts: 'float',
  fn: (x, ctx) => {
    const alpha = ctx.float('alpha', 1);
    return add(max(x, c(0, x)), min(c(0, x), mul(c(alpha, x), sub(exp(div(x, c(alpha, x))), c(1, x)))));
  },
});
defineUnary({ name: 'ThresholdedRelu', accepts: 'float', fn: (x, ctx) => select(gt(x, c(ctx.float('alpha', 1), x)), x, c(0, x)) });
defineUnary({ name: 'HardSigmoid', accepts: 'float', fn: (x, ctx) => hardSigmoid(x, ctx.float('alpha', 0.2), ctx.float('beta', 0.5)) });
defineUnary({ name: 'HardSwish', accepts: 'float', fn: (x) => mul(x, hardSigmoid(x, 1 / 6, 0.5)) });
defineUnary({ name: 'Softplus', accepts: 'float', fn: softplus });
defineUnary({ name: 'Softsign', accepts: 'float', fn: (x) => div(x, add(c(1, x), abs(x))) });
defineUnary({ name: 'Mish', accepts: 'float', fn: (x) => mul(x, tanh(softplus(x))) });
defineUnary({ name: 'Gelu', accepts: 'float', fn: gelu });
defineUnary({ name: 'Swish', accepts: 'float', fn: (x, ctx) => mul(x, sigmoid(mul(c(ctx.float('alpha', 1), x), x))) });
defineUnary({ name: 'Shrink', accepts: 'float', fn: shrink });
