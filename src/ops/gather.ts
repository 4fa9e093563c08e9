/**
 * @file Ops that read at data-dependent positions: Gather, GatherElements, GatherND, OneHot,
 * ReverseSequence, and Compress (whose condition must be constant: it decides the output shape).
 * Index tensors may hold negative positions (counted from the end); computes wrap them with a
 * select and read at the wrapped position. Out-of-range indices are the model's error and are not
 * checked at run time.
 */

import type { Expr, Var } from '../ir/expr.js';
import { add, cast, eq, intImm, lt, select, sub } from '../ir/expr.js';
import type { TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { compute } from '../te/compute.js';
import type { NodeContext } from './context.js';
import { checkDType, lookup } from './check.js';
import { defineOp } from './registry.js';
import { normalizeAxis, showShape, unknownDim, unravel } from './shape.js';

/** An index element as an int32 position in an axis of extent `n`, negatives wrapped. */
function position(index: Expr, n: number): Expr {
  const i = cast(index, 'int32');
  return select(lt(i, 0), add(i, n), i);
}

function checkIndices(ctx: NodeContext, t: TensorType): void {
  checkDType(ctx, t.dtype, 'integer', 'input 1 (indices)');
}

defineOp({
  name: 'Gather',
  inputs: [2, 2],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const [x, idx] = [ctx.type(0), ctx.type(1)];
    checkIndices(ctx, idx);
    const axis = normalizeAxis(ctx, ctx.int('axis', 0), x.shape.length);
    return [tensorType(x.dtype, [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)])];
  },
  compute(ctx) {
    const [x, idx] = [ctx.input(0), ctx.input(1)];
    const axis = normalizeAxis(ctx, ctx.int('axis', 0), x.ndim);
    const q = idx.ndim;
    return [
      compute(ctx.outputs[0].shape, (...i) => {
        const at = position(idx.at(...i.slice(axis, axis + q)), x.shape[axis]);
        return x.at(...i.slice(0, axis), at, ...i.slice(axis + q));
      }, 'gather', { tag: 'injective' }),
    ];
  },
});

defineOp({
  name: 'GatherElements',
  inputs: [2, 2],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const [x, idx] = [ctx.type(0), ctx.type(1)];
    checkIndices(ctx, idx);
    if (idx.shape.length !== x.shape.length) throw ctx.fail(`indices ${showShape(idx.shape)} must have the rank of the data ${showShape(x.shape)}`);
    normalizeAxis(ctx, ctx.int('axis', 0), x.shape.length);
    return [tensorType(x.dtype, idx.shape)];
  },
  compute(ctx) {
    const [x, idx] = [ctx.input(0), ctx.input(1)];
    const axis = normalizeAxis(ctx, ctx.int('axis', 0), x.ndim);
    return [
      compute(idx.shape, (...i) => x.at(...i.map((v, k): Expr => (k === axis ? position(idx.at(...i), x.shape[axis]) : v))), 'gather_elements', {
        tag: 'injective',
      }),
    ];
  },
});

function batchDims(ctx: NodeContext, x: TensorType, idx: TensorType): number {
  const b = ctx.int('batch_dims', 0);
  if (b < 0 || b >= Math.min(x.shape.length, idx.shape.length)) throw ctx.fail(`batch_dims ${b} is out of range`);
  return b;
}

defineOp({
  name: 'GatherND',
  inputs: [2, 2],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const [x, idx] = [ctx.type(0), ctx.type(1)];
    checkIndices(ctx, idx);
    const b = batchDims(ctx, x, idx);
    const k = idx.shape[idx.shape.length - 1];
    if (typeof k !== 'number') return [tensorType(x.dtype, [...idx.shape.slice(0, -1), unknownDim()])];
    if (k < 1 || b + k > x.shape.length) throw ctx.fail(`index tuples of length ${k} do not fit data ${showShape(x.shape)} with batch_dims ${b}`);
    return [tensorType(x.dtype, [...idx.shape.slice(0, -1), ...x.shape.slice(b + k)])];
  },
  compute(ctx) {
    const [x, idx] = [ctx.input(0), ctx.input(1)];
    const b = ctx.int('batch_dims', 0);
    const k = idx.shape[idx.ndim - 1];
    const lead = idx.ndim - 1;
    return [
      compute(ctx.outputs[0].shape, (...i) => {
        const outer = i.slice(0, lead);
        const tuple = Array.from({ length: k }, (_, j) => position(idx.at(...outer, intImm(j)), x.shape[b + j]));
        return x.at(...i.slice(0, b), ...tuple, ...i.slice(lead));
      }, 'gather_nd', { tag: 'injective' }),
    ];
  },
});

function depthOf(ctx: NodeContext): number | null {
  const d = ctx.constantValues(1);
  if (d === null) return null;
  if (d.length !== 1 || d[0] < 1) throw ctx.fail(`depth must be one positive value, got [${d.join(', ')}]`);
  return Math.trunc(d[0]);
}

defineOp({
  name: 'OneHot',
  inputs: [3, 3],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const [idx, values] = [ctx.type(0), ctx.type(2)];
    checkDType(ctx, idx.dtype, 'numeric', 'input 0 (indices)');
    if (values.shape.length !== 1 || (typeof values.shape[0] === 'number' && values.shape[0] !== 2)) {
      throw ctx.fail(`values must be [off, on], got shape ${showShape(values.shape)}`);
    }
    const rank = idx.shape.length + 1;
    const axis = normalizeAxis(ctx, ctx.int('axis', -1), rank);
    const shape = [...idx.shape];
    shape.splice(axis, 0, depthOf(ctx) ?? unknownDim());
    return [tensorType(values.dtype, shape)];
  },
  compute(ctx) {
    const [idx, values] = [ctx.input(0), ctx.input(2)];
    const shape = ctx.outputs[0].shape;
    const axis = normalizeAxis(ctx, ctx.int('axis', -1), shape.length);
    const depth = shape[axis];
    return [
      compute(shape, (...i) => {
        const rest: Var[] = i.filter((_, k) => k !== axis);
        const raw = idx.at(...rest);
        const at = cast(raw, 'int32');
        const hot = eq(select(lt(at, 0), add(at, depth), at), i[axis]);
        return select(hot, values.at(intImm(1)), values.at(intImm(0)));
      }, 'one_hot', { tag: 'injective' }),
    ];
  },
});


defineOp({
  name: 'ReverseSequence',
  inputs: [2, 2],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const x = ctx.type(0);
    checkDType(ctx, ctx.type(1).dtype, 'integer', 'input 1 (sequence_lens)');
    const [b, t] = [ctx.int('batch_axis', 1), ctx.int('time_axis', 0)];
    if (x.shape.length < 2 || (b !== 0 && b !== 1) || (t !== 0 && t !== 1) || b === t) {
      throw ctx.fail(`batch_axis ${b} and time_axis ${t} must be 0 and 1 of an input of rank 2 or more`);
    }
    return [tensorType(x.dtype, x.shape)];
  },
  compute(ctx) {
    const [x, lens] = [ctx.input(0), ctx.input(1)];
    const [b, t] = [ctx.int('batch_axis', 1), ctx.int('time_axis', 0)];
    return [
      compute(x.shape, (...i) => {
        const len = cast(lens.at(i[b]), 'int32');
        const src = select(lt(i[t], len), sub(sub(len, 1), i[t]), i[t]);
        return x.at(...i.map((v, d): Expr => (d === t ? src : v)));
      }, 'reverse_sequence', { tag: 'injective' }),
    ];
  },
});

/** The positions Compress keeps: where the (constant) condition holds. */
function keptPositions(ctx: NodeContext): number[] | null {
  const cond = ctx.constantValues(1);
  return cond && cond.flatMap((v, k) => (v ? [k] : []));
}

defineOp({
  name: 'Compress',
  inputs: [2, 2],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const x = ctx.type(0);
    checkDType(ctx, ctx.type(1).dtype, 'bool', 'input 1 (condition)');
    const kept = keptPositions(ctx);
    const count = kept ? kept.length : unknownDim();
    if (!ctx.hasAttr('axis')) return [tensorType(x.dtype, [count])];
    const axis = normalizeAxis(ctx, ctx.int('axis'), x.shape.length);
    return [tensorType(x.dtype, x.shape.map((d, k) => (k === axis ? count : d)))];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const kept = keptPositions(ctx);
    if (kept === null) throw ctx.fail('condition must be a constant');
    const out = ctx.outputs[0].shape;
    if (!ctx.hasAttr('axis')) return [compute(out, (j) => x.at(...unravel(lookup(j, kept), x.shape)), 'compress', { tag: 'injective' })];
    const axis = normalizeAxis(ctx, ctx.int('axis'), x.ndim);
    return [compute(out, (...i) => x.at(...i.map((v, k): Expr => (k === axis ? lookup(v, kept) : v))), 'compress', { tag: 'injective' })];
  },
});
