/**
 * @file Scatters: ScatterElements (and the older Scatter) and ScatterND, with reductions none,
 * add, mul, max and min. A scatter is written as a gather over the updates: each output element
 * looks for the update positions whose index names it, in a reduction over the index space —
 * the last match for 'none' (ONNX leaves duplicates unordered; kiln takes the last), the fold
 * of all matches otherwise — and a second stage combines that with the data.
 */

import type { Expr, IterVar, ReduceOp, Var } from '../ir/expr.js';
import { add, and, cast, constant, eq, floordiv, floormod, ge, lt, max, min, mul, select } from '../ir/expr.js';
import { tensorType } from '../graph/types.js';
import { compute, prod, reduceAxis, reduceMax, reduceMin, reduceIdentity, sum } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext, NodeContext } from './context.js';
import { checkDType, sameDType } from './check.js';
import { defineOp } from './registry.js';
import { normalizeAxis, ravel, showShape } from './shape.js';

type Reduction = 'none' | 'add' | 'mul' | 'max' | 'min';

function reductionOf(ctx: NodeContext): Reduction {
  const r = ctx.string('reduction', 'none');
  if (r !== 'none' && r !== 'add' && r !== 'mul' && r !== 'max' && r !== 'min') throw ctx.fail(`reduction must be none, add, mul, max or min, got "${r}"`);
  return r;
}

const FOLD: Record<Exclude<Reduction, 'none'>, { op: ReduceOp; fold: typeof sum; combine: (a: Expr, b: Expr) => Expr }> = {
  add: { op: 'sum', fold: sum, combine: add },
  mul: { op: 'prod', fold: prod, combine: mul },
  max: { op: 'max', fold: reduceMax, combine: max },
  min: { op: 'min', fold: reduceMin, combine: min },
};

/** An index element as a position in an axis of extent n, negatives wrapped. */
function position(index: Expr, n: number): Expr {
  const i = cast(index, 'int32');
  return select(lt(i, 0), add(i, n), i);
}

const conj = (conds: readonly Expr[]): Expr | null => conds.reduce<Expr | null>((a, c) => (a ? and(a, c) : c), null);

/**
 * The scatter of `updates` into `data`: `matches(i, r)` says whether update position `r` (the
 * reduce vars) targets output index `i`, `updateAt(i, r)` reads the update there, and
 * `updateAtFlat(i, flat)` reads the update at the flat position a 'none' scatter found last.
 */
interface ScatterSpec {
  readonly data: Tensor;
  readonly axes: readonly IterVar[];
  readonly matches: (i: readonly Var[]) => Expr;
  readonly updateAt: (i: readonly Var[]) => Expr;
  readonly flat: () => Expr;
  readonly updateAtFlat: (i: readonly Var[], flat: Expr) => Expr;
}

function scatter(ctx: ComputeContext, s: ScatterSpec): Tensor {
  const { data } = s;
  const reduction = reductionOf(ctx);
  if (reduction === 'none') {
    const last = compute(data.shape, (...i) => reduceMax(select(s.matches(i), s.flat(), -1), s.axes), 'scatter_last', { tag: 'reduce' });
    return compute(data.shape, (...i) => {
      const at = last.at(...i);
      return select(ge(at, 0), s.updateAtFlat(i, at), data.at(...i));
    }, 'scatter', { tag: 'injective' });
  }
  const f = FOLD[reduction];
  const folded = compute(data.shape, (...i) => f.fold(select(s.matches(i), s.updateAt(i), reduceIdentity(f.op, data.dtype)), s.axes), 'scatter_fold', { tag: 'reduce' });
  return compute(data.shape, (...i) => f.combine(data.at(...i), folded.at(...i)), 'scatter', { tag: 'injective' });
}

// --- ScatterElements ------------------------------------------------------------------------------

function elementsInfer(ctx: InferContext): ReturnType<typeof tensorType>[] {
  const [x, idx, upd] = [ctx.type(0), ctx.type(1), ctx.type(2)];
  checkDType(ctx, idx.dtype, 'integer', 'input 1 (indices)');
  sameDType(ctx, [x.dtype, upd.dtype], 'data and updates');
  if (idx.shape.length !== x.shape.length || upd.shape.length !== idx.shape.length) {
    throw ctx.fail(`data ${showShape(x.shape)}, indices ${showShape(idx.shape)} and updates ${showShape(upd.shape)} must share one rank`);
  }
  normalizeAxis(ctx, ctx.int('axis', 0), x.shape.length);
  return [tensorType(x.dtype, x.shape)];
}

function elementsCompute(ctx: ComputeContext): Tensor[] {
  const [data, idx, upd] = [ctx.input(0), ctx.input(1), ctx.input(2)];
  const axis = normalizeAxis(ctx, ctx.int('axis', 0), data.ndim);
  const k = reduceAxis(idx.shape[axis], 'k');
  // the update position for output index i: i on every dim but the axis (clamped into the
  // indices' extent, with the clamp's failure part of the match), k on the axis
  const at = (i: readonly Var[]): Expr[] => i.map((v, d) => (d === axis ? k.var : idx.shape[d] === data.shape[d] ? v : min(v, idx.shape[d] - 1)));
  const inRange = (i: readonly Var[]): Expr[] => i.flatMap((v, d) => (d !== axis && idx.shape[d] < data.shape[d] ? [lt(v, idx.shape[d])] : []));
  const matches = (i: readonly Var[]): Expr => conj([...inRange(i), eq(position(idx.at(...at(i)), data.shape[axis]), i[axis])]) ?? constant(1, 'bool');
  return [
    scatter(ctx, {
      data,
      axes: [k],
      matches,
      updateAt: (i) => upd.at(...at(i)),
      flat: () => k.var,
      updateAtFlat: (i, flat) => upd.at(...i.map((v, d) => (d === axis ? flat : idx.shape[d] === data.shape[d] ? v : min(v, idx.shape[d] - 1)))),
    }),
  ];
}

for (const name of ['ScatterElements', 'Scatter']) {
  defineOp({ name, inputs: [3, 3], outputs: [1, 1], pattern: 'opaque', infer: elementsInfer, compute: elementsCompute });
}

// --- ScatterND ------------------------------------------------------------------------------------

defineOp({
  name: 'ScatterND',
  inputs: [3, 3],
  outputs: [1, 1],
  pattern: 'opaque',
  infer(ctx) {
    const [x, idx, upd] = [ctx.type(0), ctx.type(1), ctx.type(2)];
    checkDType(ctx, idx.dtype, 'integer', 'input 1 (indices)');
    sameDType(ctx, [x.dtype, upd.dtype], 'data and updates');
    const q = idx.shape[idx.shape.length - 1];
    if (typeof q === 'number' && (q < 1 || q > x.shape.length)) throw ctx.fail(`index tuples of length ${q} do not fit data ${showShape(x.shape)}`);
    return [tensorType(x.dtype, x.shape)];
  },
  compute(ctx) {
    const [data, idx, upd] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const lead = idx.shape.slice(0, -1);
    const q = idx.shape[idx.ndim - 1];
    const axes = lead.map((n, k) => reduceAxis(n, `j${k}`));
    const j = axes.map((a) => a.var);
    const matches = (i: readonly Var[]): Expr =>
      conj(Array.from({ length: q }, (_, d) => eq(position(idx.at(...j, d), data.shape[d]), i[d]))) ?? constant(1, 'bool');
    const unflat = (flat: Expr): Expr[] => {
      const out: Expr[] = [];
      let rest = flat;
      for (let k = lead.length - 1; k >= 0; k--) {
        out.unshift(k === 0 ? rest : floormod(rest, lead[k]));
        rest = floordiv(rest, lead[k]);
      }
      return out;
    };
    return [
      scatter(ctx, {
        data,
        axes,
        matches,
        updateAt: (i) => upd.at(...j, ...i.slice(q)),
        flat: () => ravel(j, lead),
        updateAtFlat: (i, flat) => upd.at(...unflat(flat), ...i.slice(q)),
      }),
    ];
  },
});
