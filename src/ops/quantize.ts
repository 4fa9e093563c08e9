/**
 * @file Linear quantization: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, and the
 * integer and quantized products MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv.
 * Scales and zero points are per tensor (a scalar), per axis (1-d along `axis`) or blocked (the
 * input's rank, `block_size` elements per value along `axis`). The quantized products are defined
 * as ONNX's reference defines them: dequantize, compute in float32, quantize.
 */

import type { DType } from '../ir/dtype.js';
import type { Expr, Var } from '../ir/expr.js';
import { add, cast, constant, div, floordiv, max, min, mul, sub } from '../ir/expr.js';
import { intRange } from '../ir/dtype.js';
import type { TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { compute, round } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext, NodeContext } from './context.js';
import { checkDType } from './check.js';
import { convolve, convType } from './conv.js';
import { dtypeOfCode } from './generate.js';
import { matmulOf, matmulType } from './matmul.js';
import { reduceStage } from './reduce.js';
import { defineOp } from './registry.js';
import { normalizeAxis, showShape } from './shape.js';

/** The `axis` attribute normalized for rank `rank`; null when out of range (fine for scalars). */
function axisOf(ctx: NodeContext, rank: number): number | null {
  const a = ctx.int('axis', 1);
  return a >= -rank && a < rank ? normalizeAxis(ctx, a, rank) : null;
}

/** A scale or zero point read at element `i` of the input. */
function paramAt(ctx: NodeContext, p: Tensor, i: readonly Var[], axis: number | null): Expr {
  const size = p.shape.reduce((a, b) => a * b, 1);
  if (p.ndim === 0 || (size === 1 && p.ndim <= 1)) return p.at(...p.shape.map(() => 0));
  if (axis === null) throw ctx.fail(`axis ${ctx.int('axis', 1)} is out of range for rank ${i.length}`);
  if (p.ndim === 1) return p.at(i[axis]);
  const block = ctx.int('block_size', 0);
  if (p.ndim !== i.length || block < 1) throw ctx.fail(`scale ${showShape(p.shape)} is neither a scalar, per-axis nor blocked`);
  return p.at(...i.map((v, d) => (d === axis ? floordiv(v, block) : v)));
}

const toFloat = (e: Expr, t: DType = 'float32'): Expr => cast(e, t);

/** round(v) + zero point, saturated to `dtype`'s range and converted. */
function saturate(v: Expr, zp: Expr | null, dtype: DType): Expr {
  const [lo, hi] = intRange(dtype);
  const shifted = zp ? add(round(v), toFloat(zp, v.dtype)) : round(v);
  return cast(min(max(shifted, constant(lo, v.dtype)), constant(hi, v.dtype)), dtype);
}

function quantizedType(ctx: NodeContext, zp: TensorType | null): DType {
  if (zp) return zp.dtype;
  const code = ctx.int('output_dtype', 0);
  return code === 0 ? 'uint8' : dtypeOfCode(ctx, code, 'output_dtype');
}

defineOp({
  name: 'QuantizeLinear',
  inputs: [2, 3],
  outputs: [1, 1],
  pattern: 'elementwise',
  infer(ctx) {
    const x = ctx.type(0);
    checkDType(ctx, x.dtype, 'numeric');
    const out = quantizedType(ctx, ctx.optionalType(2));
    checkDType(ctx, out, 'integer', 'the quantized type');
    return [tensorType(out, x.shape)];
  },
  compute(ctx) {
    const [x, scale, zp] = [ctx.input(0), ctx.input(1), ctx.optionalInput(2)];
    const axis = axisOf(ctx, x.ndim);
    const out = ctx.outputs[0].dtype;
    return [compute(x.shape, (...i) => saturate(div(toFloat(x.at(...i), scale.dtype), paramAt(ctx, scale, i, axis)), zp && paramAt(ctx, zp, i, axis), out), 'quantize', { tag: 'elemwise' })];
  },
});

/** (x − zero point) · scale, in the scale's type. */
function dequantize(ctx: NodeContext, x: Tensor, scale: Tensor, zp: Tensor | null, axis: number | null, name: string): Tensor {
  return compute(x.shape, (...i) => {
    const v = toFloat(x.at(...i), scale.dtype);
    return mul(zp ? sub(v, toFloat(paramAt(ctx, zp, i, axis), scale.dtype)) : v, paramAt(ctx, scale, i, axis));
  }, name, { tag: 'elemwise' });
}

defineOp({
  name: 'DequantizeLinear',
  inputs: [2, 3],
  outputs: [1, 1],
  pattern: 'elementwise',
  infer(ctx) {
    const [x, scale] = [ctx.type(0), ctx.type(1)];
    checkDType(ctx, x.dtype, 'integer');
    checkDType(ctx, scale.dtype, 'float', 'input 1 (scale)');
    return [tensorType(scale.dtype, x.shape)];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const axis = axisOf(ctx, x.ndim);
    return [dequantize(ctx, x, ctx.input(1), ctx.optionalInput(2), axis, 'dequantize')];
  },
});

defineOp({
  name: 'DynamicQuantizeLinear',
  inputs: [1, 1],
  outputs: [3, 3],
  pattern: 'opaque',
  infer(ctx) {
    const x = ctx.type(0);
    checkDType(ctx, x.dtype, 'float');
    return [tensorType('uint8', x.shape), tensorType(x.dtype, []), tensorType('uint8', [])];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const all = x.shape.map((_, k) => k);
    const lo = reduceStage(x, all, false, 'min', (idx) => x.at(...idx), 'dql_min');
    const hi = reduceStage(x, all, false, 'max', (idx) => x.at(...idx), 'dql_max');
    const zero = constant(0, x.dtype);
    // the range always holds 0, so that 0 quantizes exactly
    const scale = compute([], () => div(sub(max(hi.at(), zero), min(lo.at(), zero)), constant(255, x.dtype)), 'dql_scale', { tag: 'elemwise' });
    const zp = compute([], () => saturate(div(sub(zero, min(lo.at(), zero)), scale.at()), null, 'uint8'), 'dql_zero_point', { tag: 'elemwise' });
    const y = compute(x.shape, (...i) => saturate(div(x.at(...i), scale.at()), zp.at(), 'uint8'), 'dql', { tag: 'elemwise' });
    return [y, scale, zp];
  },
});

// --- integer products -------------------------------------------------------------------------------

/** cast(x) − zero point in int32, the zero point per tensor or along dim `axis`. */
function centered(x: Tensor, zp: Tensor | null, axis: number, name: string): Tensor {
  return compute(x.shape, (...i) => {
    const v = cast(x.at(...i), 'int32');
    if (!zp) return v;
    const z = zp.ndim === 0 || zp.shape[0] === 1 ? zp.at(...zp.shape.map(() => 0)) : zp.at(i[axis]);
    return sub(v, cast(z, 'int32'));
  }, name, { tag: 'elemwise' });
}

function integerInputs(ctx: InferContext): [TensorType, TensorType] {
  const [a, b] = [ctx.type(0), ctx.type(1)];
  checkDType(ctx, a.dtype, 'integer');
  checkDType(ctx, b.dtype, 'integer', 'input 1');
  return [a, b];
}

defineOp({
  name: 'MatMulInteger',
  inputs: [2, 4],
  outputs: [1, 1],
  pattern: 'outEwiseFusable',
  infer(ctx) {
    const [a, b] = integerInputs(ctx);
    return [matmulType(ctx, a, b, 'int32')];
  },
  compute(ctx) {
    const [a, b] = [ctx.input(0), ctx.input(1)];
    const a2 = centered(a, ctx.optionalInput(2), Math.max(a.ndim - 2, 0), 'matmul_integer_a');
    const b2 = centered(b, ctx.optionalInput(3), b.ndim - 1, 'matmul_integer_b');
    return [matmulOf(a2, b2, ctx.outputs[0].shape)];
  },
});

defineOp({
  name: 'ConvInteger',
  inputs: [2, 4],
  outputs: [1, 1],
  pattern: 'outEwiseFusable',
  infer(ctx) {
    const [x, w] = integerInputs(ctx);
    return [convType(ctx, x, w, null, 'int32')];
  },
  compute(ctx) {
    const x = centered(ctx.input(0), ctx.optionalInput(2), 1, 'conv_integer_x');
    const w = centered(ctx.input(1), ctx.optionalInput(3), 0, 'conv_integer_w');
    return [convolve(ctx, x, w, null)];
  },
});

// --- quantized products ------------------------------------------------------------------------------

/** `y` (float) quantized by the scale and zero point inputs at `s`, `s + 1`. */
function requantize(ctx: ComputeContext, y: Tensor, s: number, axis: number): Tensor {
  const [scale, zp] = [ctx.input(s), ctx.input(s + 1)];
  return compute(y.shape, (...i) => saturate(div(y.at(...i), paramAt(ctx, scale, i, axis)), paramAt(ctx, zp, i, axis), zp.dtype), 'requantize', { tag: 'elemwise' });
}

defineOp({
  name: 'QLinearMatMul',
  inputs: [8, 8],
  outputs: [1, 1],
  pattern: 'outEwiseFusable',
  infer(ctx) {
    const [a, b] = [ctx.type(0), ctx.type(3)];
    checkDType(ctx, a.dtype, 'integer');
    checkDType(ctx, b.dtype, 'integer', 'input 3');
    return [matmulType(ctx, a, b, ctx.type(7).dtype)];
  },
  compute(ctx) {
    const [a, b] = [ctx.input(0), ctx.input(3)];
    const af = dequantize(ctx, a, ctx.input(1), ctx.input(2), Math.max(a.ndim - 2, 0), 'qlinear_a');
    const bf = dequantize(ctx, b, ctx.input(4), ctx.input(5), b.ndim - 1, 'qlinear_b');
    return [requantize(ctx, matmulOf(af, bf, ctx.outputs[0].shape), 6, ctx.outputs[0].shape.length - 1)];
  },
});

defineOp({
  name: 'QLinearConv',
  inputs: [8, 9],
  outputs: [1, 1],
  pattern: 'outEwiseFusable',
  infer(ctx) {
    const [x, w] = [ctx.type(0), ctx.type(3)];
    checkDType(ctx, x.dtype, 'integer');
    checkDType(ctx, w.dtype, 'integer', 'input 3');
    return [convType(ctx, x, w, ctx.optionalType(8), ctx.type(7).dtype)];
  },
  compute(ctx) {
    const [x, w, bias] = [ctx.input(0), ctx.input(3), ctx.optionalInput(8)];
    const xf = dequantize(ctx, x, ctx.input(1), ctx.input(2), 1, 'qlinear_x');
    const wf = dequantize(ctx, w, ctx.input(4), ctx.input(5), 0, 'qlinear_w');
    const [xs, ws] = [ctx.input(1), ctx.input(4)];
    // the int32 bias has scale x_scale · w_scale and zero point 0
    const bf = bias && compute(bias.shape, (m) => mul(cast(bias.at(m), 'float32'), mul(xs.at(...xs.shape.map(() => 0)), ws.ndim === 0 || ws.shape[0] === 1 ? ws.at(...ws.shape.map(() => 0)) : ws.at(m))), 'qlinear_bias', { tag: 'elemwise' });
    return [requantize(ctx, convolve(ctx, xf, wf, bf), 6, 1)];
  },
});
