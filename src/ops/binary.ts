/**
 * @file Element-wise ops of several inputs with numpy broadcasting: arithmetic, comparisons,
 * logic, the variadic Max/Min/Sum/Mean, Where, Clip and PRelu. Each is a formula over the inputs'
 * elements read at the broadcast output position.
 */

import type { DType } from '../ir/dtype.js';
import { isFloat } from '../ir/dtype.js';
import type { Expr } from '../ir/expr.js';
import { add, cast, constant, div, eq, floormod, ge, gt, le, lt, max, min, mod, mul, ne, or, select, sub, and } from '../ir/expr.js';
import type { TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { compute } from '../te/compute.js';
import { pow } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext, NodeContext } from './context.js';
import type { DTypeClass } from './check.js';
import { checkDType, sameDType } from './check.js';
import { defineOp } from './registry.js';
import { broadcastShapes, readBroadcast } from './shape.js';

interface BroadcastSpec {
  readonly name: string;
  /** [min, max] inputs */
  readonly inputs: readonly [number, number];
  readonly accepts: DTypeClass;
  /** the output dtype from the (shared) input dtype; the input's when absent */
  readonly out?: (t: DType) => DType;
  /** whether the inputs may differ in dtype (Pow's exponent) */
  readonly mixed?: boolean;
  readonly fn: (xs: readonly Expr[], ctx: NodeContext) => Expr;
}

function presentTypes(ctx: InferContext): TensorType[] {
  return ctx.node.inputs.flatMap((_, i) => (ctx.has(i) ? [ctx.type(i)] : []));
}

function presentInputs(ctx: ComputeContext): Tensor[] {
  return ctx.node.inputs.flatMap((_, i) => (ctx.has(i) ? [ctx.input(i)] : []));
}

/** The output of `fn` over `inputs` broadcast to `shape`. */
export function broadcastCompute(inputs: readonly Tensor[], shape: readonly number[], fn: (xs: Expr[]) => Expr, name: string): Tensor {
  return compute(shape, (...i) => fn(inputs.map((t) => readBroadcast(t, i))), name, { tag: 'broadcast' });
}

function defineBroadcast(spec: BroadcastSpec): void {
  defineOp({
    name: spec.name,
    inputs: spec.inputs,
    outputs: [1, 1],
    pattern: 'broadcast',
    infer(ctx) {
      const types = presentTypes(ctx);
      types.forEach((t, k) => checkDType(ctx, t.dtype, spec.accepts, `input ${k}`));
      const dtype = spec.mixed ? types[0].dtype : sameDType(ctx, types.map((t) => t.dtype));
      const shape = broadcastShapes(ctx, types.map((t) => t.shape));
      return [tensorType(spec.out ? spec.out(dtype) : dtype, shape)];
    },
    compute(ctx) {
      const out = ctx.outputs[0];
      return [broadcastCompute(presentInputs(ctx), out.shape, (xs) => spec.fn(xs, ctx), spec.name.toLowerCase())];
    },
  });
}

const two = (f: (a: Expr, b: Expr) => Expr) => (xs: readonly Expr[]): Expr => f(xs[0], xs[1]);
const toBool = (): DType => 'bool';

function powOf(base: Expr, exponent: Expr): Expr {
  if (isFloat(base.dtype)) return pow(base, cast(exponent, base.dtype));
  return cast(pow(cast(base, 'float64'), cast(exponent, 'float64')), base.dtype);
}

function modOf(a: Expr, b: Expr, ctx: NodeContext): Expr {
  const fmod = ctx.int('fmod', 0) !== 0;
  if (!fmod && isFloat(a.dtype)) throw ctx.fail('fmod must be 1 for float inputs');
  return fmod ? mod(a, b) : floormod(a, b);
}

function fold(xs: readonly Expr[], f: (a: Expr, b: Expr) => Expr): Expr {
  return xs.slice(1).reduce(f, xs[0]);
}

const BROADCAST: readonly BroadcastSpec[] = [
  { name: 'Add', inputs: [2, 2], accepts: 'numeric', fn: two(add) },
  { name: 'Sub', inputs: [2, 2], accepts: 'numeric', fn: two(sub) },
  { name: 'Mul', inputs: [2, 2], accepts: 'numeric', fn: two(mul) },
  { name: 'Div', inputs: [2, 2], accepts: 'numeric', fn: two(div) },
  { name: 'Pow', inputs: [2, 2], accepts: 'numeric', mixed: true, fn: two(powOf) },
  { name: 'Mod', inputs: [2, 2], accepts: 'numeric', fn: (xs, ctx) => modOf(xs[0], xs[1], ctx) },
  { name: 'Equal', inputs: [2, 2], accepts: 'any', out: toBool, fn: two(eq) },
  { name: 'Less', inputs: [2, 2], accepts: 'numeric', out: toBool, fn: two(lt) },
  { name: 'LessOrEqual', inputs: [2, 2], accepts: 'numeric', out: toBool, fn: two(le) },
  { name: 'Greater', inputs: [2, 2], accepts: 'numeric', out: toBool, fn: two(gt) },
  { name: 'GreaterOrEqual', inputs: [2, 2], accepts: 'numeric', out: toBool, fn: two(ge) },
  { name: 'And', inputs: [2, 2], accepts: 'bool', fn: two(and) },
  { name: 'Or', inputs: [2, 2], accepts: 'bool', fn: two(or) },
  { name: 'Xor', inputs: [2, 2], accepts: 'bool', fn: two(ne) },
  { name: 'Max', inputs: [1, Infinity], accepts: 'numeric', fn: (xs) => fold(xs, max) },
  { name: 'Min', inputs: [1, Infinity], accepts: 'numeric', fn: (xs) => fold(xs, min) },
  { name: 'Sum', inputs: [1, Infinity], accepts: 'numeric', fn: (xs) => fold(xs, add) },
  { name: 'Mean', inputs: [1, Infinity], accepts: 'float', fn: (xs) => div(fold(xs, add), constant(xs.length, xs[0].dtype)) },
  { name: 'PRelu', inputs: [2, 2], accepts: 'numeric', fn: two((x, slope) => select(lt(x, constant(0, x.dtype)), mul(slope, x), x)) },
];

for (const spec of BROADCAST) defineBroadcast(spec);

defineOp({
  name: 'Where',
  inputs: [3, 3],
  outputs: [1, 1],
  pattern: 'broadcast',
  infer(ctx) {
    const [cond, x, y] = [ctx.type(0), ctx.type(1), ctx.type(2)];
    checkDType(ctx, cond.dtype, 'bool', 'input 0 (condition)');
    const dtype = sameDType(ctx, [x.dtype, y.dtype], 'inputs 1 and 2');
    return [tensorType(dtype, broadcastShapes(ctx, [cond.shape, x.shape, y.shape]))];
  },
  compute(ctx) {
    const inputs = [ctx.input(0), ctx.input(1), ctx.input(2)];
    return [broadcastCompute(inputs, ctx.outputs[0].shape, ([c, x, y]) => select(c, x, y), 'where')];
  },
});

/** Clip's bound: an attribute before opset 11, an optional scalar input from it; null when absent. */
function clipBound(ctx: ComputeContext, x: Tensor, input: number, attr: string): Expr | null {
  if (ctx.opset < 11) return ctx.hasAttr(attr) ? constant(ctx.float(attr), x.dtype) : null;
  const t = ctx.optionalInput(input);
  return t && t.at(...t.shape.map(() => 0));
}

defineOp({
  name: 'Clip',
  inputs: [1, 3],
  outputs: [1, 1],
  pattern: 'broadcast',
  infer(ctx) {
    const x = ctx.type(0);
    checkDType(ctx, x.dtype, 'numeric');
    for (const i of [1, 2]) {
      const b = ctx.optionalType(i);
      if (b === null) continue;
      sameDType(ctx, [x.dtype, b.dtype], `input 0 and bound ${i}`);
      if (b.shape.some((d) => d !== 1)) throw ctx.fail(`bound ${i} must be a scalar, got shape [${b.shape.join(', ')}]`);
    }
    return [tensorType(x.dtype, x.shape)];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const lo = clipBound(ctx, x, 1, 'min');
    const hi = clipBound(ctx, x, 2, 'max');
    return [
      compute(x.shape, (...i) => {
        let v: Expr = x.at(...i);
        if (lo) v = max(v, lo);
        if (hi) v = min(v, hi);
        return v;
      }, 'clip', { tag: 'broadcast' }),
    ];
  },
});
