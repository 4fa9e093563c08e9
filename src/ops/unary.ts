/**
 * @file Element-wise math ops of one input: each is one line of TE over one element. Ops the
 * expression language has no call for are spelled with the calls it has (Tan as sin/cos, the
 * hyperbolic functions through exp and log in float64 so that cancellation near 0 costs no
 * float32 accuracy).
 */

import type { DType } from '../ir/dtype.js';
import type { Expr } from '../ir/expr.js';
import { cast, constant, div, eq, gt, lt, mul, ne, not, or, select, sub, add } from '../ir/expr.js';
import { tensorType } from '../graph/types.js';
import { abs, ceil, cos, erf, exp, floor, log, round, sigmoid, sin, sqrt, tanh } from '../te/compute.js';
import type { NodeContext } from './context.js';
import type { DTypeClass } from './check.js';
import { checkDType, mapElements } from './check.js';
import { defineOp } from './registry.js';

export interface UnarySpec {
  readonly name: string;
  readonly accepts: DTypeClass;
  /** the output dtype when it is not the input's */
  readonly out?: DType;
  /** the output element from the input element */
  readonly fn: (x: Expr, ctx: NodeContext) => Expr;
}

/** Defines an element-wise op of one input. */
export function defineUnary(spec: UnarySpec): void {
  defineOp({
    name: spec.name,
    inputs: [1, 1],
    outputs: [1, 1],
    pattern: 'elementwise',
    infer(ctx) {
      const t = ctx.type(0);
      checkDType(ctx, t.dtype, spec.accepts);
      return [tensorType(spec.out ?? t.dtype, t.shape)];
    },
    compute(ctx) {
      return [mapElements(ctx.input(0), (x) => spec.fn(x, ctx), spec.name.toLowerCase())];
    },
  });
}

/** `f` evaluated in float64 and rounded back: for formulas that cancel badly in float32. */
function inF64(x: Expr, f: (y: Expr) => Expr): Expr {
  return cast(f(cast(x, 'float64')), x.dtype);
}

const c = (v: number, like: Expr): Expr => constant(v, like.dtype);

const UNARY: readonly UnarySpec[] = [
  { name: 'Abs', accepts: 'numeric', fn: (x) => (x.dtype === 'uint8' ? x : abs(x)) },
  { name: 'Neg', accepts: 'signed', fn: (x) => sub(c(0, x), x) },
  { name: 'Exp', accepts: 'float', fn: exp },
  { name: 'Log', accepts: 'float', fn: log },
  { name: 'Sqrt', accepts: 'float', fn: sqrt },
  { name: 'Reciprocal', accepts: 'float', fn: (x) => div(c(1, x), x) },
  { name: 'Tanh', accepts: 'float', fn: tanh },
  { name: 'Sigmoid', accepts: 'float', fn: sigmoid },
  { name: 'Erf', accepts: 'float', fn: erf },
  { name: 'Floor', accepts: 'float', fn: floor },
  { name: 'Ceil', accepts: 'float', fn: ceil },
  { name: 'Round', accepts: 'float', fn: round },
  { name: 'Sin', accepts: 'float', fn: sin },
  { name: 'Cos', accepts: 'float', fn: cos },
  { name: 'Tan', accepts: 'float', fn: (x) => div(sin(x), cos(x)) },
  { name: 'Sinh', accepts: 'float', fn: (x) => inF64(x, (y) => mul(sub(exp(y), exp(sub(c(0, y), y))), 0.5)) },
  { name: 'Cosh', accepts: 'float', fn: (x) => inF64(x, (y) => mul(add(exp(y), exp(sub(c(0, y), y))), 0.5)) },
  { name: 'Asinh', accepts: 'float', fn: (x) => inF64(x, asinh) },
  { name: 'Acosh', accepts: 'float', fn: (x) => inF64(x, (y) => log(add(y, sqrt(sub(mul(y, y), 1))))) },
  { name: 'Atanh', accepts: 'float', fn: (x) => inF64(x, (y) => mul(log(div(add(c(1, y), y), sub(c(1, y), y))), 0.5)) },
  { name: 'Sign', accepts: 'numeric', fn: (x) => select(gt(x, c(0, x)), c(1, x), select(lt(x, c(0, x)), c(x.dtype === 'uint8' ? 0 : -1, x), x)) },
  { name: 'Not', accepts: 'bool', fn: not },
  { name: 'IsNaN', accepts: 'float', out: 'bool', fn: (x) => ne(x, x) },
  { name: 'IsInf', accepts: 'float', out: 'bool', fn: isInf },
  { name: 'Identity', accepts: 'any', fn: (x) => x },
];

/** asinh(y) = sign(y)·log(|y| + sqrt(y² + 1)), odd so that large negative y does not cancel. */
function asinh(y: Expr): Expr {
  const a = abs(y);
  const r = log(add(a, sqrt(add(mul(a, a), 1))));
  return select(lt(y, c(0, y)), sub(c(0, y), r), r);
}

function isInf(x: Expr, ctx: NodeContext): Expr {
  const pos = eq(x, c(Infinity, x));
  const neg = eq(x, c(-Infinity, x));
  const detectPos = ctx.int('detect_positive', 1) !== 0;
  const detectNeg = ctx.int('detect_negative', 1) !== 0;
  if (detectPos && detectNeg) return or(pos, neg);
  if (detectPos) return pos;
  if (detectNeg) return neg;
  return constant(0, 'bool');
}

for (const spec of UNARY) defineUnary(spec);
