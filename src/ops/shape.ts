/**
 * @file Shape arithmetic shared by the ops: numpy broadcasting of symbolic shapes, axis
 * normalization, and the index maps that computes use to read a broadcast or reshaped input.
 *
 * Symbolic dims follow ONNX's inference rules: a symbol broadcast against 1 stays the symbol, a
 * symbol against a concrete n > 1 becomes n (it must be n or 1 at run time), and two different
 * symbols give a fresh unknown dim. Arithmetic on symbols (a product, a conv output size) is not
 * tracked: it gives a fresh unknown dim, and kernels are specialized once shapes are concrete.
 */

import type { Dim } from '../graph/types.js';
import type { Expr, ExprLike, Var } from '../ir/expr.js';
import { add, freshId, floordiv, floormod, intImm, mul } from '../ir/expr.js';
import type { Tensor } from '../te/tensor.js';
import type { NodeContext } from './context.js';

type Failer = Pick<NodeContext, 'fail'>;

/**
 * A fresh symbol for a dim that inference cannot know. The `?d` prefix keeps it apart from the
 * `?N` symbols a frontend numbers per model, so the two can never be taken for the same dim.
 */
export function unknownDim(): Dim {
  return `?d${freshId()}`;
}

export function showShape(shape: readonly Dim[]): string {
  return `[${shape.join(', ')}]`;
}

/** `d` when concrete, else a fresh unknown dim: the result of arithmetic on a symbol. */
function known(d: number | null): Dim {
  return d === null ? unknownDim() : d;
}

/** The product of `dims`: concrete when all are (or any is 0), the one symbol among 1s, else unknown. */
export function dimProduct(dims: readonly Dim[]): Dim {
  if (dims.some((d) => d === 0)) return 0;
  const rest = dims.filter((d) => d !== 1);
  if (rest.length === 1) return rest[0];
  let p = 1;
  for (const d of rest) {
    if (typeof d !== 'number') return unknownDim();
    p *= d;
  }
  return p;
}

/** The sum of `dims`: concrete when all are, else unknown. */
export function dimSum(dims: readonly Dim[]): Dim {
  let s = 0;
  for (const d of dims) {
    if (typeof d !== 'number') return unknownDim();
    s += d;
  }
  return s;
}

/** `f` of concrete dims, or an unknown dim when any is symbolic. */
export function dimMap(dims: readonly Dim[], f: (...d: number[]) => number): Dim {
  return dims.every((d) => typeof d === 'number') ? f(...(dims as number[])) : known(null);
}

/** The numpy broadcast of `shapes`, or an OpError naming the shapes that do not broadcast. */
export function broadcastShapes(ctx: Failer, shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let k = 0; k < rank; k++) {
    const dims = shapes.map((s) => s[s.length - rank + k]).filter((d): d is Dim => d !== undefined && d !== 1);
    out.push(broadcastDim(ctx, dims, shapes));
  }
  return out;
}

function broadcastDim(ctx: Failer, dims: readonly Dim[], shapes: readonly (readonly Dim[])[]): Dim {
  const nums = [...new Set(dims.filter((d): d is number => typeof d === 'number'))];
  if (nums.length > 1) throw ctx.fail(`shapes ${shapes.map(showShape).join(', ')} do not broadcast`);
  if (nums.length === 1) return nums[0];
  const syms = new Set(dims);
  if (syms.size === 0) return 1;
  return syms.size === 1 ? dims[0] : unknownDim();
}

/** `axis` in [-rank, rank) made non-negative, or an OpError. */
export function normalizeAxis(ctx: Failer, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw ctx.fail(`${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** Each axis normalized; repeated axes are an error. */
export function normalizeAxes(ctx: Failer, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => normalizeAxis(ctx, a, rank));
  if (new Set(out).size !== out.length) throw ctx.fail(`axes [${axes.join(', ')}] repeat an axis`);
  return out;
}

// --- index maps for computes -------------------------------------------------------------------

/** The indices that read `t` broadcast to an output indexed by `idx` (numpy alignment). */
export function broadcastIndex(t: Tensor, idx: readonly Var[]): Expr[] {
  const offset = idx.length - t.ndim;
  return t.shape.map((d, k) => (d === 1 ? intImm(0) : idx[offset + k]));
}

/** The element of `t` at output position `idx`, `t` broadcast to the output. */
export function readBroadcast(t: Tensor, idx: readonly Var[]): Expr {
  return t.at(...broadcastIndex(t, idx));
}

/** The row-major flat offset of `idx` in `shape`. */
export function ravel(idx: readonly ExprLike[], shape: readonly number[]): Expr {
  let flat: Expr = intImm(0);
  shape.forEach((d, k) => {
    flat = k === 0 ? toIndex(idx[k]) : add(mul(flat, d), idx[k]);
  });
  return flat;
}

/** The indices in `shape` of the row-major flat offset `flat`. */
export function unravel(flat: Expr, shape: readonly number[]): Expr[] {
  const out: Expr[] = new Array<Expr>(shape.length);
  let rest = flat;
  for (let k = shape.length - 1; k >= 0; k--) {
    const d = shape[k];
    out[k] = k === 0 ? rest : floormod(rest, d);
    rest = floordiv(rest, d);
  }
  return out;
}

function toIndex(e: ExprLike): Expr {
  return typeof e === 'number' ? intImm(e) : e;
}

/** The number of elements of a concrete shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
