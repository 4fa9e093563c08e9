/**
 * @file Matrix products: MatMul (numpy semantics: batch dims broadcast, 1-d operands promoted and
 * their unit dim removed again), Gemm (alpha·A'·B' + beta·C) and Einsum. The product is one
 * reduction tagged `matmul` (`batch_matmul` with batch dims) that strategies recognize; Gemm's
 * scaling and bias are a separate element-wise stage for the fuser to attach.
 */

import type { DType } from '../ir/dtype.js';
import type { Expr, Var } from '../ir/expr.js';
import { add, constant, intImm, mul } from '../ir/expr.js';
import type { Dim, TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { compute, reduceAxis, sum } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext, NodeContext } from './context.js';
import { checkDType, sameDType } from './check.js';
import { defineOp } from './registry.js';
import { broadcastShapes, readBroadcast, showShape } from './shape.js';

function sameDim(ctx: NodeContext, a: Dim, b: Dim, what: string): void {
  if (typeof a === 'number' && typeof b === 'number' && a !== b) throw ctx.fail(`${what}: ${a} vs ${b}`);
}

/** The numpy matmul type of `a` and `b`, with element type `dtype`. */
export function matmulType(ctx: NodeContext, a: TensorType, b: TensorType, dtype: DType): TensorType {
  if (a.shape.length === 0 || b.shape.length === 0) throw ctx.fail('operands must have rank 1 or more');
  const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  sameDim(ctx, as[as.length - 1], bs[bs.length - 2], `inner dims of ${showShape(a.shape)} and ${showShape(b.shape)} differ`);
  const batch = broadcastShapes(ctx, [as.slice(0, -2), bs.slice(0, -2)]);
  const out: Dim[] = [...batch];
  if (a.shape.length > 1) out.push(as[as.length - 2]);
  if (b.shape.length > 1) out.push(bs[bs.length - 1]);
  return tensorType(dtype, out);
}

function matmulInfer(ctx: InferContext): TensorType[] {
  const [a, b] = [ctx.type(0), ctx.type(1)];
  const dtype = sameDType(ctx, [a.dtype, b.dtype]);
  checkDType(ctx, dtype, 'numeric');
  return [matmulType(ctx, a, b, dtype)];
}

/** A with shape [..., M, K] or [K] read at batch index `batch`, row m, column k. */
function readRow(t: Tensor, batch: readonly Var[], m: Expr, k: Expr): Expr {
  if (t.ndim === 1) return t.at(k);
  const lead = t.ndim - 2;
  const b = batch.slice(batch.length - lead).map((v, j) => (t.shape[j] === 1 ? intImm(0) : v));
  return t.at(...b, m, k);
}

/** The numpy matmul of `a` and `b` into `out` (the inferred output shape). */
export function matmulOf(a: Tensor, b: Tensor, out: readonly number[]): Tensor {
  const kExt = a.shape[a.ndim - 1];
  const nb = out.length - (a.ndim > 1 ? 1 : 0) - (b.ndim > 1 ? 1 : 0);
  const tag = nb > 0 ? 'batch_matmul' : 'matmul';
  return compute(out, (...o) => {
    const batch = o.slice(0, nb);
    const m: Expr = a.ndim > 1 ? o[nb] : intImm(0);
    const n: Expr = b.ndim > 1 ? o[o.length - 1] : intImm(0);
    if (kExt === 0) return constant(0, a.dtype);
    const k = reduceAxis(kExt, 'k');
    const bv = b.ndim === 1 ? b.at(k.var) : readRow(b, batch, k.var, n);
    return sum(mul(readRow(a, batch, m, k.var), bv), [k]);
  }, tag, { tag });
}

const matmulCompute = (ctx: ComputeContext): Tensor[] => [matmulOf(ctx.input(0), ctx.input(1), ctx.outputs[0].shape)];

defineOp({ name: 'MatMul', inputs: [2, 2], outputs: [1, 1], pattern: 'outEwiseFusable', infer: matmulInfer, compute: matmulCompute });

// --- Gemm ---------------------------------------------------------------------------------------

/** The 2-d `t` transposed. */
function transposed(t: Tensor): Tensor {
  return compute([t.shape[1], t.shape[0]], (r, c) => t.at(c, r), 'transpose', { tag: 'injective' });
}

function gemmDims(ctx: NodeContext, a: TensorType, b: TensorType): [Dim, Dim, Dim, Dim] {
  if (a.shape.length !== 2 || b.shape.length !== 2) throw ctx.fail(`A and B must be 2-d, got ${showShape(a.shape)} and ${showShape(b.shape)}`);
  const [ta, tb] = [ctx.int('transA', 0) !== 0, ctx.int('transB', 0) !== 0];
  const [m, k] = ta ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [k2, n] = tb ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  return [m, k, k2, n];
}

defineOp({
  name: 'Gemm',
  inputs: [2, 3],
  outputs: [1, 1],
  pattern: 'outEwiseFusable',
  infer(ctx) {
    const [a, b, c] = [ctx.type(0), ctx.type(1), ctx.optionalType(2)];
    const dtype = sameDType(ctx, [a.dtype, b.dtype, ...(c ? [c.dtype] : [])]);
    checkDType(ctx, dtype, 'numeric');
    const [m, k, k2, n] = gemmDims(ctx, a, b);
    sameDim(ctx, k, k2, 'inner dims of A and B differ');
    if (c) {
      const out = broadcastShapes(ctx, [c.shape, [m, n]]);
      if (out.length !== 2) throw ctx.fail(`C ${showShape(c.shape)} does not broadcast to [M, N]`);
      sameDim(ctx, out[0], m, `C ${showShape(c.shape)} does not broadcast to M`);
      sameDim(ctx, out[1], n, `C ${showShape(c.shape)} does not broadcast to N`);
    }
    return [tensorType(dtype, [m, n])];
  },
  compute(ctx) {
    const [a, b, c] = [ctx.input(0), ctx.input(1), ctx.optionalInput(2)];
    const [ta, tb] = [ctx.int('transA', 0) !== 0, ctx.int('transB', 0) !== 0];
    const [alpha, beta] = [ctx.float('alpha', 1), ctx.float('beta', 1)];
    const shape = ctx.outputs[0].shape;
    const kExt = ta ? a.shape[0] : a.shape[1];
    const k = reduceAxis(kExt, 'k');
    // A transposed operand is read through a transpose stage, which schedules inline or copy
    // (a GEMM packs its panels from it in the [K, N] order its register tiles read).
    const [am, bm] = [ta ? transposed(a) : a, tb ? transposed(b) : b];
    const prod = compute(shape, (i, j) => {
      if (kExt === 0) return constant(0, a.dtype);
      return sum(mul(am.at(i, k.var), bm.at(k.var, j)), [k]);
    }, 'dense', { tag: 'dense' });
    if (alpha === 1 && (!c || beta === 0)) return [prod];
    return [
      compute(shape, (...i) => {
        const p = alpha === 1 ? prod.at(...i) : mul(prod.at(...i), constant(alpha, a.dtype));
        if (!c || beta === 0) return p;
        const cv = readBroadcast(c, i);
        return add(p, beta === 1 ? cv : mul(cv, constant(beta, a.dtype)));
      }, 'gemm_epilogue', { tag: 'broadcast' }),
    ];
  },
});
