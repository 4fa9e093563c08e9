/**
 * @file Ops that cut and join along axes: Concat, Slice, Split, Expand, Tile and Trilu. Each
 * output element reads one input element through an index map; Concat picks its input with a
 * chain of selects on the concatenated axis.
 */

import type { Expr, Var } from '../ir/expr.js';
import { add, cast, constant, floormod, ge, le, lt, mul, select, sub } from '../ir/expr.js';
import type { Dim, TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { compute } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext, NodeContext } from './context.js';
import { checkDType, sameDType } from './check.js';
import { listParam, requireParam } from './params.js';
import { defineOp } from './registry.js';
import { broadcastShapes, dimSum, normalizeAxes, normalizeAxis, readBroadcast, showShape, unknownDim } from './shape.js';

// --- Concat -----------------------------------------------------------------------------------

defineOp({
  name: 'Concat',
  inputs: [1, Infinity],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const types = ctx.node.inputs.map((_, i) => ctx.type(i));
    const dtype = sameDType(ctx, types.map((t) => t.dtype));
    const rank = types[0].shape.length;
    const axis = normalizeAxis(ctx, ctx.int('axis'), rank);
    const shape = types[0].shape.map((d, k): Dim => {
      if (k === axis) return dimSum(types.map((t) => t.shape[k]));
      const nums = new Set(types.map((t) => t.shape[k]).filter((x) => typeof x === 'number'));
      if (nums.size > 1) throw ctx.fail(`inputs ${types.map((t) => showShape(t.shape)).join(', ')} differ outside axis ${axis}`);
      return nums.size === 1 ? [...nums][0] : d;
    });
    types.forEach((t, i) => {
      if (t.shape.length !== rank) throw ctx.fail(`input ${i} has rank ${t.shape.length}, input 0 has rank ${rank}`);
    });
    return [tensorType(dtype, shape)];
  },
  compute(ctx) {
    const inputs = ctx.node.inputs.map((_, i) => ctx.input(i)).filter((t) => t.shape.every((d) => d > 0));
    const shape = ctx.outputs[0].shape;
    const axis = normalizeAxis(ctx, ctx.int('axis'), shape.length);
    const offsets: number[] = [];
    inputs.reduce((o, t) => (offsets.push(o), o + t.shape[axis]), 0);
    return [
      compute(shape, (...i) => {
        const at = (k: number): Expr => inputs[k].at(...i.map((v, d) => (d === axis && offsets[k] !== 0 ? sub(v, offsets[k]) : v)));
        let e = at(inputs.length - 1);
        for (let k = inputs.length - 2; k >= 0; k--) e = select(lt(i[axis], offsets[k + 1]), at(k), e);
        return e;
      }, 'concat', { tag: 'injective' }),
    ];
  },
});

// --- Slice ------------------------------------------------------------------------------------

interface SliceAxis {
  readonly axis: number;
  readonly start: number;
  readonly step: number;
  readonly count: number;
}

/** The clamped start and element count of slicing `[start, end)` by `step` from extent `dim`. */
export function sliceRange(dim: number, start: number, end: number, step: number): { start: number; count: number } {
  const norm = (v: number): number => (v < 0 ? v + dim : v);
  // ONNX clamps starts to [0, dim] and ends to [0, dim] going forward; [0, dim − 1] and
  // [−1, dim − 1] going backward (−1 there meaning "through element 0")
  const [lo, hi] = step > 0 ? [0, dim] : [-1, dim - 1];
  const s = Math.min(Math.max(norm(start), 0), step > 0 ? dim : dim - 1);
  const e = Math.min(Math.max(norm(end), lo), hi);
  return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
}

interface SliceParams {
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  readonly axes: readonly number[];
  readonly steps: readonly number[];
}

/** Slice's parameters (attributes before opset 10, inputs from it); null when not all constant. */
function sliceParams(ctx: NodeContext, rank: number): SliceParams | null {
  const starts = listParam(ctx, 'starts', 1);
  const ends = listParam(ctx, 'ends', 2);
  const axes = listParam(ctx, 'axes', 3);
  const steps = listParam(ctx, 'steps', 4);
  if (starts === 'unknown' || ends === 'unknown' || axes === 'unknown' || steps === 'unknown') return null;
  const s = requireParam(ctx, starts, 'starts');
  const e = requireParam(ctx, ends, 'ends');
  const a = axes === 'absent' ? s.map((_, k) => k) : normalizeAxes(ctx, axes, rank);
  const st = steps === 'absent' ? s.map(() => 1) : steps;
  if (e.length !== s.length || a.length !== s.length || st.length !== s.length) {
    throw ctx.fail(`starts, ends, axes and steps must have one length, got ${s.length}, ${e.length}, ${a.length}, ${st.length}`);
  }
  if (st.some((v) => v === 0)) throw ctx.fail('steps must not be 0');
  return { starts: s, ends: e, axes: a, steps: st };
}

function sliceInfer(ctx: InferContext): TensorType[] {
  const x = ctx.type(0);
  const p = sliceParams(ctx, x.shape.length);
  if (p === null) return [tensorType(x.dtype, x.shape.map(unknownDim))];
  const shape = [...x.shape];
  p.axes.forEach((a, k) => {
    const d = x.shape[a];
    const whole = p.steps[k] === 1 && p.starts[k] === 0 && p.ends[k] >= Number.MAX_SAFE_INTEGER;
    if (typeof d === 'number') shape[a] = sliceRange(d, p.starts[k], p.ends[k], p.steps[k]).count;
    else if (!whole) shape[a] = unknownDim();
  });
  return [tensorType(x.dtype, shape)];
}

function sliceCompute(ctx: ComputeContext): Tensor[] {
  const x = ctx.input(0);
  const p = sliceParams(ctx, x.ndim);
  if (p === null) throw ctx.fail('starts, ends, axes and steps must be constants');
  const axes: SliceAxis[] = p.axes.map((axis, k) => ({ axis, step: p.steps[k], ...sliceRange(x.shape[axis], p.starts[k], p.ends[k], p.steps[k]) }));
  return [
    compute(ctx.outputs[0].shape, (...i) => {
      const idx: Expr[] = [...i];
      for (const a of axes) idx[a.axis] = add(mul(i[a.axis], a.step), a.start);
      return x.at(...idx);
    }, 'slice', { tag: 'injective' }),
  ];
}

defineOp({ name: 'Slice', inputs: [1, 5], outputs: [1, 1], pattern: 'injective', infer: sliceInfer, compute: sliceCompute });

// --- Split ------------------------------------------------------------------------------------

/** The extents of Split's outputs along the axis; null entries where the axis extent is unknown. */
function splitSizes(ctx: NodeContext, dim: Dim): (number | null)[] {
  const n = ctx.outputCount;
  const given = listParam(ctx, 'split', 1);
  if (given === 'unknown') return new Array<null>(n).fill(null);
  if (given !== 'absent') {
    if (given.length !== n) throw ctx.fail(`split has ${given.length} parts for ${n} outputs`);
    if (typeof dim === 'number' && given.reduce((a, b) => a + b, 0) !== dim) throw ctx.fail(`split [${given.join(', ')}] does not add up to ${dim}`);
    return [...given];
  }
  if (typeof dim !== 'number') return new Array<null>(n).fill(null);
  const parts = ctx.hasAttr('num_outputs') ? ctx.int('num_outputs') : n;
  if (parts !== n) throw ctx.fail(`num_outputs ${parts} differs from the ${n} outputs`);
  const chunk = Math.ceil(dim / n);
  if (!ctx.hasAttr('num_outputs') && dim % n !== 0) throw ctx.fail(`${dim} does not split into ${n} equal parts`);
  return Array.from({ length: n }, (_, k) => Math.max(0, Math.min(chunk, dim - k * chunk)));
}

defineOp({
  name: 'Split',
  inputs: [1, 2],
  outputs: [1, Infinity],
  pattern: 'injective',
  infer(ctx) {
    const x = ctx.type(0);
    const axis = normalizeAxis(ctx, ctx.int('axis', 0), x.shape.length);
    return splitSizes(ctx, x.shape[axis]).map((s) => tensorType(x.dtype, x.shape.map((d, k) => (k === axis ? (s ?? unknownDim()) : d))));
  },
  compute(ctx) {
    const x = ctx.input(0);
    const axis = normalizeAxis(ctx, ctx.int('axis', 0), x.ndim);
    let offset = 0;
    return ctx.outputs.map((o) => {
      const start = offset;
      offset += o.shape[axis];
      return compute(o.shape, (...i) => x.at(...i.map((v, k) => (k === axis && start !== 0 ? add(v, start) : v))), 'split', { tag: 'injective' });
    });
  },
});

// --- Expand, Tile -------------------------------------------------------------------------------

defineOp({
  name: 'Expand',
  inputs: [2, 2],
  outputs: [1, 1],
  pattern: 'broadcast',
  infer(ctx) {
    const x = ctx.type(0);
    checkDType(ctx, ctx.type(1).dtype, 'integer', 'input 1 (shape)');
    const target = ctx.constantValues(1);
    if (target === null) {
      const n = ctx.type(1).shape[0];
      if (typeof n !== 'number') throw ctx.fail('the rank of the output is unknown: input 1 (shape) has an unknown length');
      return [tensorType(x.dtype, Array.from({ length: Math.max(n, x.shape.length) }, unknownDim))];
    }
    return [tensorType(x.dtype, broadcastShapes(ctx, [x.shape, target]))];
  },
  compute(ctx) {
    const x = ctx.input(0);
    return [compute(ctx.outputs[0].shape, (...i) => readBroadcast(x, i), 'expand', { tag: 'broadcast' })];
  },
});

function repeatsOf(ctx: NodeContext, rank: number): readonly number[] | null {
  const r = ctx.constantValues(1);
  if (r === null) return null;
  if (r.length !== rank) throw ctx.fail(`repeats has ${r.length} values for rank ${rank}`);
  if (r.some((v) => v < 0)) throw ctx.fail(`repeats [${r.join(', ')}] must not be negative`);
  return r;
}

defineOp({
  name: 'Tile',
  inputs: [2, 2],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const x = ctx.type(0);
    const r = repeatsOf(ctx, x.shape.length);
    return [tensorType(x.dtype, x.shape.map((d, k) => (r === null ? unknownDim() : r[k] === 1 ? d : typeof d === 'number' ? d * r[k] : unknownDim())))];
  },
  compute(ctx) {
    const x = ctx.input(0);
    return [compute(ctx.outputs[0].shape, (...i) => x.at(...i.map((v, k) => (x.shape[k] === ctx.outputs[0].shape[k] ? v : floormod(v, x.shape[k])))), 'tile', { tag: 'injective' })];
  },
});

// --- Trilu ------------------------------------------------------------------------------------

defineOp({
  name: 'Trilu',
  inputs: [1, 2],
  outputs: [1, 1],
  pattern: 'injective',
  infer(ctx) {
    const x = ctx.type(0);
    if (x.shape.length < 2) throw ctx.fail(`input must have rank 2 or more, got ${showShape(x.shape)}`);
    return [tensorType(x.dtype, x.shape)];
  },
  compute(ctx) {
    const x = ctx.input(0);
    // k is data, not shape: read at run time (a cast of the int64 scalar)
    const kt = ctx.optionalInput(1);
    const k: Expr = kt ? cast(kt.at(...kt.shape.map(() => 0)), 'int32') : constant(0, 'int32');
    const upper = ctx.int('upper', 1) !== 0;
    return [
      compute(x.shape, (...i) => {
        const [r, c] = [i[i.length - 2], i[i.length - 1]] as [Var, Var];
        const keep = upper ? ge(sub(c, r), k) : le(sub(c, r), k);
        return select(keep, x.at(...i), constant(0, x.dtype));
      }, 'trilu', { tag: 'injective' }),
    ];
  },
});
