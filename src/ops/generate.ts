/**
 * @file Ops whose outputs come from types and attributes more than from input data: Cast and
 * CastLike, Shape and Size (they read only their input's shape), ConstantOfShape, Range,
 * EyeLike, Constant, and Dropout (identity at inference). Shape-only computes read no input
 * tensor, so constant folding can evaluate them even when the input's data is unknown.
 */

import type { DType } from '../ir/dtype.js';
import type { Expr } from '../ir/expr.js';
import { add, cast, constant, eq, intImm, mul, ne, select, sub } from '../ir/expr.js';
import type { HostTensor } from '../graph/tensor.js';
import { tensorNumbers } from '../graph/tensor.js';
import type { Dim, TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { compute } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { NodeContext } from './context.js';
import { checkDType, lookup, mapElements, sameDType } from './check.js';
import { defineOp } from './registry.js';
import { unknownDim, showShape } from './shape.js';

/** ONNX TensorProto element type codes of the dtypes kiln has. */
const ONNX_DTYPES: ReadonlyMap<number, DType> = new Map<number, DType>([
  [1, 'float32'],
  [2, 'uint8'],
  [3, 'int8'],
  [6, 'int32'],
  [7, 'int64'],
  [9, 'bool'],
  [11, 'float64'],
]);

export function dtypeOfCode(ctx: NodeContext, code: number, attr: string): DType {
  const t = ONNX_DTYPES.get(code);
  if (t === undefined) throw ctx.fail(`${attr} is element type ${code}, which kiln does not support`);
  return t;
}

/** `x` converted to `to`: to bool is `x ≠ 0`, float to int truncates toward zero. */
export function convert(x: Expr, to: DType): Expr {
  if (to === x.dtype) return x;
  if (to === 'bool') return ne(x, constant(0, x.dtype));
  return cast(x, to);
}

function defineCast(name: string, inputs: readonly [number, number], target: (ctx: NodeContext, types: readonly TensorType[]) => DType): void {
  defineOp({
    name,
    inputs,
    outputs: [1, 1],
    pattern: 'elementwise',
    infer(ctx) {
      const types = ctx.node.inputs.map((_, i) => ctx.type(i));
      return [tensorType(target(ctx, types), types[0].shape)];
    },
    compute(ctx) {
      const to = ctx.outputs[0].dtype;
      return [mapElements(ctx.input(0), (x) => convert(x, to), 'cast')];
    },
  });
}

defineCast('Cast', [1, 1], (ctx) => dtypeOfCode(ctx, ctx.int('to'), 'to'));
defineCast('CastLike', [2, 2], (_ctx, types) => types[1].dtype);

/** Shape's [start, end) slice of the dims, clamped as the opset-15 attributes say. */
function shapeRange(ctx: NodeContext, rank: number): [number, number] {
  const clamp = (v: number): number => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  return [clamp(ctx.int('start', 0)), clamp(ctx.int('end', rank))];
}

defineOp({
  name: 'Shape',
  inputs: [1, 1],
  outputs: [1, 1],
  pattern: 'opaque',
  infer(ctx) {
    const x = ctx.type(0);
    const [s, e] = shapeRange(ctx, x.shape.length);
    return [tensorType('int64', [Math.max(0, e - s)])];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const [s, e] = shapeRange(ctx, x.ndim);
    const dims = x.shape.slice(s, Math.max(s, e));
    return [compute([dims.length], (i) => lookup(i, dims, 'int64'), 'shape', { tag: 'injective' })];
  },
});

defineOp({
  name: 'Size',
  inputs: [1, 1],
  outputs: [1, 1],
  pattern: 'opaque',
  infer: () => [tensorType('int64', [])],
  compute: (ctx) => [compute([], () => constant(ctx.input(0).shape.reduce((a, b) => a * b, 1), 'int64'), 'size')],
});

/** ConstantOfShape's fill value: a one-element tensor attribute, float32 0 by default. */
function fillValue(ctx: NodeContext): { dtype: DType; value: number } {
  if (!ctx.hasAttr('value')) return { dtype: 'float32', value: 0 };
  const t = ctx.tensor('value');
  if (t.data.length !== 1) throw ctx.fail(`value must hold one element, got ${t.data.length}`);
  return { dtype: t.dtype, value: tensorNumbers(t)[0] };
}

/** Dims given by a constant 1-d int64 input, or unknown dims of the input's (static) length. */
function shapeFromInput(ctx: NodeContext, type: TensorType, index: number): Dim[] {
  const values = ctx.constantValues(index);
  if (values !== null) {
    if (values.some((d) => d < 0 || !Number.isInteger(d))) throw ctx.fail(`shape [${values.join(', ')}] has a negative dim`);
    return values;
  }
  const n = type.shape[0];
  if (type.shape.length !== 1 || typeof n !== 'number') throw ctx.fail(`input ${index} (shape) must be 1-d of known length, got ${showShape(type.shape)}`);
  return Array.from({ length: n }, unknownDim);
}

defineOp({
  name: 'ConstantOfShape',
  inputs: [1, 1],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    checkDType(ctx, ctx.type(0).dtype, 'integer');
    return [tensorType(fillValue(ctx).dtype, shapeFromInput(ctx, ctx.type(0), 0))];
  },
  compute(ctx) {
    const { dtype, value } = fillValue(ctx);
    return [compute(ctx.outputs[0].shape, () => constant(value, dtype), 'constant_of_shape', { tag: 'injective' })];
  },
});

/** Range's element count: max(ceil((limit − start) / delta), 0). */
function rangeCount(ctx: NodeContext): Dim {
  const [start, limit, delta] = [0, 1, 2].map((i) => ctx.constantValues(i)?.[0]);
  if (start === undefined || limit === undefined || delta === undefined) return unknownDim();
  if (delta === 0) throw ctx.fail('delta must not be 0');
  return Math.max(Math.ceil((limit - start) / delta), 0);
}

defineOp({
  name: 'Range',
  inputs: [3, 3],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const types = [0, 1, 2].map((i) => ctx.type(i));
    types.forEach((t, i) => {
      if (t.shape.some((d) => d !== 1)) throw ctx.fail(`input ${i} must be a scalar, got ${showShape(t.shape)}`);
    });
    const dtype = sameDType(ctx, types.map((t) => t.dtype));
    checkDType(ctx, dtype, 'numeric');
    return [tensorType(dtype, [rangeCount(ctx)])];
  },
  compute(ctx) {
    const [start, delta] = [ctx.input(0), ctx.input(2)];
    const scalar = (t: Tensor): Expr => t.at(...t.shape.map(() => 0));
    return [compute(ctx.outputs[0].shape, (i) => add(scalar(start), mul(cast(i, start.dtype), scalar(delta))), 'range', { tag: 'injective' })];
  },
});

defineOp({
  name: 'EyeLike',
  inputs: [1, 1],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const x = ctx.type(0);
    if (x.shape.length !== 2) throw ctx.fail(`input must be 2-d, got ${showShape(x.shape)}`);
    const dtype = ctx.hasAttr('dtype') ? dtypeOfCode(ctx, ctx.int('dtype'), 'dtype') : x.dtype;
    return [tensorType(dtype, x.shape)];
  },
  compute(ctx) {
    const { dtype, shape } = ctx.outputs[0];
    const k = ctx.int('k', 0);
    return [compute(shape, (i, j) => select(eq(sub(j, i), intImm(k)), constant(1, dtype), constant(0, dtype)), 'eye_like', { tag: 'injective' })];
  },
});

/** Constant's value from whichever of its value attributes the node has. */
function constantValue(ctx: NodeContext): TensorType {
  if (ctx.hasAttr('value')) {
    const t: HostTensor = ctx.tensor('value');
    return tensorType(t.dtype, t.shape);
  }
  if (ctx.hasAttr('value_float')) return tensorType('float32', []);
  if (ctx.hasAttr('value_int')) return tensorType('int64', []);
  if (ctx.hasAttr('value_floats')) return tensorType('float32', [ctx.floats('value_floats').length]);
  if (ctx.hasAttr('value_ints')) return tensorType('int64', [ctx.ints('value_ints').length]);
  throw ctx.fail('has no value attribute kiln supports (value, value_float(s), value_int(s))');
}

defineOp({
  name: 'Constant',
  inputs: [0, 0],
  outputs: [1, 1],
  pattern: 'opaque',
  infer: (ctx) => [constantValue(ctx)],
  compute(ctx) {
    throw ctx.fail('a Constant is data, not a kernel: the frontend turns it into an initializer');
  },
});

defineOp({
  name: 'Dropout',
  inputs: [1, 3],
  outputs: [1, 2],
  pattern: 'elementwise',
  infer(ctx) {
    const x = ctx.type(0);
    checkDType(ctx, x.dtype, 'float');
    const training = ctx.constantValues(2)?.[0] ?? 0;
    if (ctx.has(2) && ctx.constant(2) === null) throw ctx.fail('training_mode must be a constant');
    if (training !== 0 && (ctx.constantValues(1)?.[0] ?? ctx.float('ratio', 0.5)) !== 0) {
      throw ctx.fail('training mode (random dropping) is not supported');
    }
    return [tensorType(x.dtype, x.shape), tensorType('bool', x.shape)];
  },
  compute(ctx) {
    const x = ctx.input(0);
    return [mapElements(x, (v) => v, 'dropout'), compute(x.shape, () => constant(1, 'bool'), 'dropout_mask', { tag: 'injective' })];
  },
});

