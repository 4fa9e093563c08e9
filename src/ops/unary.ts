/**
 * @file Element-wise math ops of one input: each is one line of TE over one element. Ops the
 * expression language has no call for are spelled with the calls it has, so no backend needs
 * more math than the IR's: Tan as sin/cos, the hyperbolic functions through exp and log, and
 * Atan/Asin/Acos by range reduction and a series — the last two families in float64, so that
 * cancellation costs no float32 accuracy.
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
  { name: 'Atan', accepts: 'float', fn: (x) => inF64(x, atan) },
  { name: 'Asin', accepts: 'float', fn: (x) => inF64(x, asin) },
  { name: 'Acos', accepts: 'float', fn: (x) => inF64(x, (y) => sub(c(Math.PI / 2, y), asin(y))) },
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

/**
 * atan in float64 from the calls the IR has: odd symmetry, atan(a) = π/2 − atan(1/a) for a > 1,
 * atan(a) = π/6 + atan((a − 1/√3) / (1 + a/√3)) for a > tan(π/12), then the Taylor series to
 * z²¹ on |z| ≤ tan(π/12) ≈ 0.268 (truncation error below 1e-14).
 */
function atan(y: Expr): Expr {
  const a = abs(y);
  const big = gt(a, c(1, y));
  const b = select(big, div(c(1, y), a), a);
  const shifted = gt(b, c(Math.tan(Math.PI / 12), y));
  const z = select(shifted, div(sub(b, c(1 / Math.sqrt(3), y)), add(c(1, y), div(b, c(Math.sqrt(3), y)))), b);
  const z2 = mul(z, z);
  let series: Expr = c(1 / 21, y);
  for (let k = 19; k >= 1; k -= 2) series = add(c((k % 4 === 1 ? 1 : -1) / k, y), mul(z2, series));
  let r: Expr = mul(z, series);
  r = select(shifted, add(r, c(Math.PI / 6, y)), r);
  r = select(big, sub(c(Math.PI / 2, y), r), r);
  return select(lt(y, c(0, y)), sub(c(0, y), r), r);
}

/** asin(y) = atan(y / √(1 − y²)); ±1 give ±π/2 through atan(±∞). */
function asin(y: Expr): Expr {
  return atan(div(y, sqrt(sub(c(1, y), mul(y, y)))));
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
