/**
 * @file Convolutions: Conv (N-d, grouped, dilated, strided, padded) and ConvTranspose.
 *
 * Conv is a pad stage (zeros, inlined or materialized by the schedule) and one reduction over
 * (rc, r0, r1, …): out[n, m, o] = Σ pad[n, g·Cg + rc, o·s + r·d] · w[m, rc, r], g = m / Mg; then a
 * bias stage. ConvTranspose is a stage that spreads the input over a stride-dilated, padded grid
 * and a stride-1 convolution of that grid with the flipped kernel, so both kernels share one shape
 * that strategies can schedule (this multiplies the grid's zeros: graph.decomposeConvTranspose
 * rewrites a ConvTranspose of known shapes into a Conv over its stride phases before kernels are
 * built; this compute stays its definition). Stages are tagged (`conv2d`, `depthwise_conv2d`, `group_conv2d`,
 * `conv2d_transpose`, …) for strategies to recognize.
 */

import type { DType } from '../ir/dtype.js';
import type { Expr, IterVar, Var } from '../ir/expr.js';
import { add, and, constant, eq, floordiv, floormod, ge, lt, mul, select, sub } from '../ir/expr.js';
import type { Dim, TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { compute, reduceAxis, sum } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext, NodeContext } from './context.js';
import { checkDType, sameDType } from './check.js';
import { defineOp } from './registry.js';
import { showShape, unknownDim } from './shape.js';
import type { WindowAttrs } from './window.js';
import { padsOf, padStage, windowAttrs, windowOutput } from './window.js';

/** v·s, without the multiply when s is 1. */
const scaled = (v: Expr, s: number): Expr => (s === 1 ? v : mul(v, s));

function groupOf(ctx: NodeContext): number {
  const g = ctx.int('group', 1);
  if (g < 1) throw ctx.fail(`group must be positive, got ${g}`);
  return g;
}

/** Checks the ranks of X, W and B of a convolution; returns the spatial rank. */
function checkOperands(ctx: NodeContext, x: TensorType, w: TensorType, b: TensorType | null): number {
  if (x.shape.length < 3) throw ctx.fail(`input 0 must have a batch, a channel and a spatial dim, got ${showShape(x.shape)}`);
  if (w.shape.length !== x.shape.length) throw ctx.fail(`weights ${showShape(w.shape)} must have the rank of the input ${showShape(x.shape)}`);
  if (b && b.shape.length !== 1) throw ctx.fail(`bias must be 1-d, got ${showShape(b.shape)}`);
  return x.shape.length - 2;
}

function checkFloat(ctx: InferContext): void {
  const b = ctx.optionalType(2);
  checkDType(ctx, sameDType(ctx, [ctx.type(0).dtype, ctx.type(1).dtype, ...(b ? [b.dtype] : [])]), 'float');
}

/** Known dims must satisfy `ok`; a symbolic one is assumed to. */
function known(a: Dim, b: Dim, ok: (a: number, b: number) => boolean): boolean {
  return typeof a !== 'number' || typeof b !== 'number' || ok(a, b);
}

function kernelTag(base: string, rank: number, group: number, cin: number, cout: number): string {
  const conv = `${base}${rank}d`;
  if (group === 1) return conv;
  return group === cin && cout % cin === 0 ? `depthwise_${conv}` : `group_${conv}`;
}

/** The output type of a convolution of `x` by `w` (+ `b`), with element type `dtype`. */
export function convType(ctx: NodeContext, x: TensorType, w: TensorType, b: TensorType | null, dtype: DType): TensorType {
  const rank = checkOperands(ctx, x, w, b);
  const g = groupOf(ctx);
  const [c, m, cg] = [x.shape[1], w.shape[0], w.shape[1]];
  if (typeof c === 'number' && c % g !== 0) throw ctx.fail(`group ${g} does not divide the ${c} input channels`);
  if (typeof m === 'number' && m % g !== 0) throw ctx.fail(`group ${g} does not divide the ${m} output channels`);
  if (!known(c, cg, (cv, cgv) => cv === cgv * g)) throw ctx.fail(`weights ${showShape(w.shape)} expect ${cg}·${g} input channels, got ${c}`);
  if (b && !known(b.shape[0], m, (bv, mv) => bv === mv)) throw ctx.fail(`bias ${showShape(b.shape)} does not match ${m} output channels`);
  const win = windowAttrs(ctx, rank, w.shape.slice(2));
  checkKernel(ctx, win, w.shape.slice(2));
  const spatial = x.shape.slice(2).map((d, k) => windowOutput(ctx, win, k, d));
  return tensorType(dtype, [x.shape[0], m, ...spatial]);
}

function convInfer(ctx: InferContext): TensorType[] {
  checkFloat(ctx);
  return [convType(ctx, ctx.type(0), ctx.type(1), ctx.optionalType(2), ctx.type(0).dtype)];
}

function checkKernel(ctx: NodeContext, win: WindowAttrs, dims: readonly Dim[]): void {
  if (!dims.every((d, k) => known(d, win.kernel[k], (a, b) => a === b))) {
    throw ctx.fail(`kernel_shape [${win.kernel.join(', ')}] does not match the weights' kernel ${showShape(dims)}`);
  }
}

/** bias[m] added to every element of channel m, or `y` when there is no bias. */
function addBias(y: Tensor, bias: Tensor | null): Tensor {
  if (!bias) return y;
  return compute(y.shape, (n, m, ...o) => add(y.at(n, m, ...o), bias.at(m)), 'bias_add', { tag: 'broadcast' });
}

function kernelAxes(kernel: readonly number[]): IterVar[] {
  const names = kernel.length === 2 ? ['ry', 'rx'] : kernel.map((_, k) => `r${k}`);
  return kernel.map((k, i) => reduceAxis(k, names[i]));
}

function axisNames(rank: number): string[] {
  return ['n', 'm', ...(rank === 2 ? ['oh', 'ow'] : Array.from({ length: rank }, (_, k) => `o${k}`))];
}

/** The input channel of reduce index `rc` for output channel `m`: g·Cg + rc, g = m / Mg. */
function inputChannel(m: Var, rc: Expr, group: number, cg: number, mg: number): Expr {
  return group === 1 ? rc : add(mul(floordiv(m, mg), cg), rc);
}

/**
 * Σ over (rc, kernel) of data[n, channel, o + r·d or o·s + r·d] · weight: the one reduction both
 * convolutions are. `weightAt` gives the weight element for (m, rc, kernel vars).
 */
function convReduce(data: Tensor, outShape: readonly number[], win: WindowAttrs, group: number, cg: number, tag: string, weightAt: (m: Var, rc: Expr, r: readonly Var[]) => Expr): Tensor {
  const mg = outShape[1] / group;
  const rc = cg === 1 ? null : reduceAxis(cg, 'rc');
  const rk = kernelAxes(win.kernel);
  const axes = rc ? [rc, ...rk] : rk;
  return compute(outShape, (n, m, ...o) => {
    const rcv: Expr = rc ? rc.var : constant(0, 'int32');
    const sp = o.map((v, k) => add(scaled(v, win.strides[k]), scaled(rk[k].var, win.dilations[k])));
    const x = data.at(n, inputChannel(m, rcv, group, cg, mg), ...sp);
    return sum(mul(x, weightAt(m, rcv, rk.map((a) => a.var))), axes);
  }, tag, { tag, axisNames: axisNames(win.kernel.length) });
}

/** The convolution of `x` by `w` (+ `b`) with the node's window attributes; pads read as 0. */
export function convolve(ctx: ComputeContext, x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const rank = x.ndim - 2;
  const win = windowAttrs(ctx, rank, w.shape.slice(2));
  const group = groupOf(ctx);
  const pads = x.shape.slice(2).map((d, k): [number, number] => padsOf(win, k, d) ?? [0, 0]);
  const padded = padStage(x, [0, 0, ...pads.map((p) => p[0])], [x.shape[0], x.shape[1], ...pads.map((p, k) => x.shape[k + 2] + p[0] + p[1])], constant(0, x.dtype));
  const tag = kernelTag('conv', rank, group, x.shape[1], w.shape[0]);
  const y = convReduce(padded, ctx.outputs[0].shape, win, group, w.shape[1], tag, (m, rc, r) => w.at(m, rc, ...r));
  return addBias(y, b);
}

const convCompute = (ctx: ComputeContext): Tensor[] => [convolve(ctx, ctx.input(0), ctx.input(1), ctx.optionalInput(2))];

defineOp({ name: 'Conv', inputs: [2, 3], outputs: [1, 1], pattern: 'outEwiseFusable', infer: convInfer, compute: convCompute });

// --- ConvTranspose -------------------------------------------------------------------------------

interface TransposeGeometry {
  /** output spatial extents */
  readonly out: readonly Dim[];
  /** [padBegin, padEnd] per spatial dim, null where the input extent is unknown */
  readonly pads: readonly ([number, number] | null)[];
}

/**
 * Output extents and pads: out = s·(in − 1) + output_padding + (k − 1)·d + 1 − padBegin − padEnd.
 * With output_shape (or SAME auto_pad, where out = in·s) the pads follow from the output instead,
 * the odd one at the end for SAME_UPPER and at the beginning otherwise.
 */
function transposeGeometry(ctx: NodeContext, win: WindowAttrs, input: readonly Dim[]): TransposeGeometry {
  const rank = input.length;
  const outPad = ctx.ints('output_padding', new Array<number>(rank).fill(0));
  if (outPad.length !== rank) throw ctx.fail(`output_padding has ${outPad.length} values, expected ${rank}`);
  const shapeAttr = ctx.hasAttr('output_shape') ? ctx.ints('output_shape').slice(-rank) : null;
  const out: Dim[] = [];
  const pads: ([number, number] | null)[] = [];
  input.forEach((d, k) => {
    const [s, span] = [win.strides[k], (win.kernel[k] - 1) * win.dilations[k] + 1];
    const full = typeof d === 'number' ? s * (d - 1) + outPad[k] + span : null;
    const target = shapeAttr ? shapeAttr[k] : win.autoPad.startsWith('SAME') && typeof d === 'number' ? d * s : null;
    if (target === null && (shapeAttr || win.autoPad.startsWith('SAME'))) {
      out.push(unknownDim());
      pads.push(null);
    } else if (target !== null) {
      out.push(target);
      const total = full === null ? null : full - target;
      const half = total === null ? 0 : Math.floor(total / 2);
      pads.push(total === null ? null : win.autoPad === 'SAME_UPPER' ? [half, total - half] : [total - half, half]);
    } else {
      const p: [number, number] = win.autoPad === 'VALID' ? [0, 0] : [win.pads[k], win.pads[k + rank]];
      pads.push(p);
      out.push(full === null ? unknownDim() : full - p[0] - p[1]);
    }
  });
  return { out, pads };
}

function convTransposeInfer(ctx: InferContext): TensorType[] {
  checkFloat(ctx);
  const [x, w, b] = [ctx.type(0), ctx.type(1), ctx.optionalType(2)];
  const rank = checkOperands(ctx, x, w, b);
  const g = groupOf(ctx);
  const [c, mg] = [x.shape[1], w.shape[1]];
  if (typeof c === 'number' && c % g !== 0) throw ctx.fail(`group ${g} does not divide the ${c} input channels`);
  if (!known(c, w.shape[0], (a, bb) => a === bb)) throw ctx.fail(`weights ${showShape(w.shape)} expect ${w.shape[0]} input channels, got ${c}`);
  const m = typeof mg === 'number' ? mg * g : unknownDim();
  if (b && !known(b.shape[0], m, (bv, mv) => bv === mv)) throw ctx.fail(`bias ${showShape(b.shape)} does not match ${m} output channels`);
  const win = windowAttrs(ctx, rank, w.shape.slice(2));
  checkKernel(ctx, win, w.shape.slice(2));
  const geo = transposeGeometry(ctx, win, x.shape.slice(2));
  geo.out.forEach((d, k) => {
    if (typeof d === 'number' && d < 0) throw ctx.fail(`output extent ${d} of spatial dim ${k} is negative`);
  });
  return [tensorType(x.dtype, [x.shape[0], m, ...geo.out])];
}

/**
 * The input spread over a grid with stride-1 spacing: element i of dim k lands at
 * lead[k] + i·s[k]; everything else is 0. lead = (k − 1)·d − padBegin may be negative (a crop).
 */
function spreadStage(x: Tensor, win: WindowAttrs, lead: readonly number[], shape: readonly number[]): Tensor {
  return compute(shape, (n, c, ...j) => {
    const at = j.map((v, k) => sub(v, lead[k]));
    const src = at.map((v, k) => (win.strides[k] === 1 ? v : floordiv(v, win.strides[k])));
    const conds = at.flatMap((v, k) => {
      const s = win.strides[k];
      const inRange = and(ge(v, 0), lt(src[k], x.shape[k + 2]));
      return s === 1 ? [inRange] : [inRange, eq(floormod(v, s), 0)];
    });
    const inside = conds.reduce((a, b) => and(a, b));
    return select(inside, x.at(n, c, ...src), constant(0, x.dtype));
  }, 'spread', { tag: 'pad' });
}

/** A ConvTranspose's attributes resolved for known input extents: pads are [begin, end], either may be negative. */
export interface TransposeWindow {
  readonly win: WindowAttrs;
  readonly group: number;
  readonly pads: readonly [number, number][];
}

/** The window of ConvTranspose `ctx` over spatial input extents `input` with kernel extents `kernel`. */
export function transposeWindow(ctx: NodeContext, input: readonly number[], kernel: readonly number[]): TransposeWindow {
  const win = windowAttrs(ctx, input.length, kernel);
  const pads = transposeGeometry(ctx, win, input).pads.map((p, k) => {
    if (p === null) throw ctx.fail(`the pads of spatial dim ${k} are unknown`);
    return p;
  });
  return { win, group: groupOf(ctx), pads };
}

function convTransposeCompute(ctx: ComputeContext): Tensor[] {
  const [x, w, b] = [ctx.input(0), ctx.input(1), ctx.optionalInput(2)];
  const { win, group, pads } = transposeWindow(ctx, x.shape.slice(2), w.shape.slice(2));
  const rank = x.ndim - 2;
  const out = ctx.outputs[0].shape;
  const lead = pads.map((p, k) => (win.kernel[k] - 1) * win.dilations[k] - p[0]);
  const gridShape = [x.shape[0], x.shape[1], ...out.slice(2).map((o, k) => o + (win.kernel[k] - 1) * win.dilations[k])];
  const grid = spreadStage(x, win, lead, gridShape);
  const unit: WindowAttrs = { ...win, strides: win.strides.map(() => 1) };
  const cg = x.shape[1] / group;
  const mg = w.shape[1];
  const tag = kernelTag('conv', rank, group, x.shape[1], out[1]).replace(/d$/, 'd_transpose');
  const y = convReduce(grid, out, unit, group, cg, tag, (m, rc, r) => {
    const cin = inputChannel(m, rc, group, cg, mg);
    const mm = group === 1 ? m : sub(m, mul(floordiv(m, mg), mg));
    return w.at(cin, mm, ...r.map((v, k) => sub(win.kernel[k] - 1, v)));
  });
  return [addBias(y, b)];
}

defineOp({ name: 'ConvTranspose', inputs: [2, 3], outputs: [1, 1], pattern: 'outEwiseFusable', infer: convTransposeInfer, compute: convTransposeCompute });
