/**
 * @file The blocked channel layout NCHW{c}c (issue #5), ops of the `kiln` domain that only the
 * layout pass (src/passes/graph/convertLayout.ts) creates, on specialized (concrete) shapes.
 *
 * A blocked tensor splits its channel axis into ⌈C/c⌉ blocks of c lanes and moves the lanes
 * innermost: x[n, C, h, w] is xb[n, C / c, h, w, C % c]. Lanes past C are padding; the ops here
 * never let a padded lane reach a real one (padded weights are zero), and the layout pass only
 * lets ops through that keep padded lanes finite, so 0 · (padded lane) stays 0.
 *
 * - `ToBlocked {axis, block, pad}`: the channel axis `axis` split into blocks, the lanes appended
 *   last, padded lanes `pad`. Also blocks weights and per-channel constants, so the pass leaves
 *   those as ToBlocked nodes over constants that constant folding evaluates once.
 * - `FromBlocked {axis, channels}`: the inverse, dropping padded lanes.
 * - `Conv2dNCHWc {strides, pads, dilations}`: x [N, Cb, H, W, ci] with weights
 *   [Mb, Cb, KH, KW, ci, co] (+ bias [Mb, co]) → [N, Mb, OH, OW, co]; tag `conv2d_nchwc`.
 * - `DepthwiseConv2dNCHWc`: x [N, Cb, H, W, c] with weights [Cb, 1, KH, KW, c] (+ bias [Cb, c]);
 *   each lane convolved alone; tag `depthwise_conv2d_nchwc`.
 * - `GlobalAveragePoolNCHWc`: the mean over h and w of every lane → [N, Cb, 1, 1, c].
 * - `ConcatNCHWc {channels}`: channel concatenation of blocked tensors holding `channels[k]`
 *   channels each, which need not fill whole blocks; each output lane reads the one input
 *   channel it is, padded lanes are 0.
 *
 * Element-wise ops, channel Concat of whole blocks and nearest Resize need no blocked op: the
 * ONNX ops already mean the right thing on the blocked tensor (see the layout pass).
 */

import type { Expr, Var } from '../ir/expr.js';
import { add, constant, div, floordiv, floormod, lt, mul, select, sub } from '../ir/expr.js';
import type { TensorType } from '../graph/types.js';
import { tensorType } from '../graph/types.js';
import { compute, reduceAxis, sum } from '../te/compute.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext, NodeContext } from './context.js';
import { checkDType } from './check.js';
import { reduceStage } from './reduce.js';
import { defineOp } from './registry.js';
import { showShape } from './shape.js';
import { padStage } from './window.js';

const DOMAIN = 'kiln';

/** The concrete shape of input `i`: blocked ops exist only on specialized graphs. */
function concrete(ctx: InferContext, i: number): number[] {
  const shape = ctx.type(i).shape;
  if (shape.some((d) => typeof d !== 'number')) throw ctx.fail(`input ${i} has the symbolic shape ${showShape(shape)}; blocked ops need concrete shapes`);
  return shape as number[];
}

function axisOf(ctx: NodeContext, rank: number): number {
  const axis = ctx.int('axis', 1);
  if (axis < 0 || axis >= rank) throw ctx.fail(`axis ${axis} is outside rank ${rank}`);
  return axis;
}

// --- layout changes -------------------------------------------------------------------------------

function toBlockedInfer(ctx: InferContext): TensorType[] {
  const x = concrete(ctx, 0);
  const axis = axisOf(ctx, x.length);
  const block = ctx.int('block');
  if (block < 1) throw ctx.fail(`block must be positive, got ${block}`);
  return [tensorType(ctx.type(0).dtype, [...x.slice(0, axis), Math.ceil(x[axis] / block), ...x.slice(axis + 1), block])];
}

function toBlockedCompute(ctx: ComputeContext): Tensor[] {
  const x = ctx.input(0);
  const axis = axisOf(ctx, x.ndim);
  const block = ctx.int('block');
  const pad = constant(ctx.float('pad', 0), x.dtype);
  return [compute(ctx.outputs[0].shape, (...i) => {
    const lane = i[i.length - 1];
    const channel = add(mul(i[axis], block), lane);
    const src = [...i.slice(0, axis), channel, ...i.slice(axis + 1, i.length - 1)];
    if (x.shape[axis] % block === 0) return x.at(...src);
    return select(lt(channel, x.shape[axis]), x.at(...src), pad);
  }, 'to_blocked', { tag: 'injective' })];
}

defineOp({ domain: DOMAIN, name: 'ToBlocked', inputs: [1, 1], outputs: [1, 1], pattern: 'injective', infer: toBlockedInfer, compute: toBlockedCompute });

function fromBlockedInfer(ctx: InferContext): TensorType[] {
  const x = concrete(ctx, 0);
  if (x.length < 2) throw ctx.fail(`input ${showShape(x)} has no block axis`);
  const axis = axisOf(ctx, x.length - 1);
  const channels = ctx.int('channels');
  const block = x[x.length - 1];
  if (channels < 1 || Math.ceil(channels / block) !== x[axis]) throw ctx.fail(`${channels} channels do not fill ${x[axis]} blocks of ${block}`);
  return [tensorType(ctx.type(0).dtype, [...x.slice(0, axis), channels, ...x.slice(axis + 1, x.length - 1)])];
}

function fromBlockedCompute(ctx: ComputeContext): Tensor[] {
  const x = ctx.input(0);
  const axis = axisOf(ctx, x.ndim - 1);
  const block = x.shape[x.ndim - 1];
  return [compute(ctx.outputs[0].shape, (...i) => {
    const c = i[axis];
    return x.at(...i.slice(0, axis), floordiv(c, block), ...i.slice(axis + 1), floormod(c, block));
  }, 'from_blocked', { tag: 'injective' })];
}

defineOp({ domain: DOMAIN, name: 'FromBlocked', inputs: [1, 1], outputs: [1, 1], pattern: 'injective', infer: fromBlockedInfer, compute: fromBlockedCompute });

// --- convolutions ---------------------------------------------------------------------------------

interface Window2d {
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  /** top, left, bottom, right */
  readonly pads: readonly [number, number, number, number];
}

function pairOf(ctx: NodeContext, name: string, n: number, min: number): number[] {
  const v = ctx.ints(name, new Array<number>(n).fill(min === 0 ? 0 : 1));
  if (v.length !== n || v.some((x) => x < min)) throw ctx.fail(`${name} must be ${n} integers ≥ ${min}, got [${v.join(', ')}]`);
  return [...v];
}

function window2d(ctx: NodeContext): Window2d {
  const [sh, sw] = pairOf(ctx, 'strides', 2, 1);
  const [dh, dw] = pairOf(ctx, 'dilations', 2, 1);
  const [pt, pl, pb, pr] = pairOf(ctx, 'pads', 4, 0);
  return { strides: [sh, sw], dilations: [dh, dw], pads: [pt, pl, pb, pr] };
}

/** Output extent of spatial dim `k` (0: h, 1: w). */
function outExtent(ctx: NodeContext, win: Window2d, k: 0 | 1, input: number, kernel: number): number {
  const span = (kernel - 1) * win.dilations[k] + 1;
  const room = input + win.pads[k] + win.pads[k + 2] - span;
  if (room < 0) throw ctx.fail(`the window (extent ${span}) is larger than the padded input in spatial dim ${k}`);
  return Math.floor(room / win.strides[k]) + 1;
}

/** Checks a blocked data input [N, Cb, H, W, c]. */
function checkData(ctx: InferContext): number[] {
  checkDType(ctx, ctx.type(0).dtype, 'float');
  const x = concrete(ctx, 0);
  if (x.length !== 5) throw ctx.fail(`input 0 must be blocked [N, Cb, H, W, c], got ${showShape(x)}`);
  return x;
}

function checkBias(ctx: InferContext, blocks: number, lanes: number): void {
  if (!ctx.has(2)) return;
  const b = concrete(ctx, 2);
  if (b.length !== 2 || b[0] !== blocks || b[1] !== lanes) throw ctx.fail(`bias ${showShape(b)} must be [${blocks}, ${lanes}]`);
}

function convInfer(ctx: InferContext): TensorType[] {
  const x = checkData(ctx);
  const w = concrete(ctx, 1);
  if (w.length !== 6 || w[1] !== x[1] || w[4] !== x[4]) throw ctx.fail(`weights ${showShape(w)} must be [Mb, ${x[1]}, KH, KW, ${x[4]}, co]`);
  checkBias(ctx, w[0], w[5]);
  const win = window2d(ctx);
  return [tensorType(ctx.type(0).dtype, [x[0], w[0], outExtent(ctx, win, 0, x[2], w[2]), outExtent(ctx, win, 1, x[3], w[3]), w[5]])];
}

/** `x` zero-padded on h and w. */
function padded(x: Tensor, win: Window2d, kernel: readonly [number, number], out: readonly number[]): Tensor {
  // rows and columns the windows reach, which may stop short of the bottom/right pads
  const reach = (k: 0 | 1): number => (out[k + 2] - 1) * win.strides[k] + (kernel[k] - 1) * win.dilations[k] + 1;
  const [pt, pl] = win.pads;
  return padStage(x, [0, 0, pt, pl, 0], [x.shape[0], x.shape[1], reach(0), reach(1), x.shape[4]], constant(0, x.dtype));
}

const at = (o: Var, s: number, r: Var, d: number): Expr => add(s === 1 ? o : mul(o, s), d === 1 ? r : mul(r, d));

/** y + bias[block, lane], or y without a bias. */
function withBias(y: Tensor, bias: Tensor | null): Tensor {
  if (!bias) return y;
  return compute(y.shape, (n, b, h, w, l) => add(y.at(n, b, h, w, l), bias.at(b, l)), 'bias_add', { tag: 'broadcast' });
}

function convCompute(ctx: ComputeContext): Tensor[] {
  const [x, w] = [ctx.input(0), ctx.input(1)];
  const win = window2d(ctx);
  const out = ctx.outputs[0].shape;
  const xp = padded(x, win, [w.shape[2], w.shape[3]], out);
  const [rcb, ry, rx, rci] = [reduceAxis(w.shape[1], 'rcb'), reduceAxis(w.shape[2], 'ry'), reduceAxis(w.shape[3], 'rx'), reduceAxis(w.shape[4], 'rci')];
  const [[sh, sw], [dh, dw]] = [win.strides, win.dilations];
  const y = compute(out, (n, mb, oh, ow, co) => {
    const v = xp.at(n, rcb.var, at(oh, sh, ry.var, dh), at(ow, sw, rx.var, dw), rci.var);
    return sum(mul(v, w.at(mb, rcb.var, ry.var, rx.var, rci.var, co)), [rcb, ry, rx, rci]);
  }, 'conv2d_nchwc', { tag: 'conv2d_nchwc', axisNames: ['n', 'mb', 'oh', 'ow', 'co'] });
  return [withBias(y, ctx.optionalInput(2))];
}

defineOp({ domain: DOMAIN, name: 'Conv2dNCHWc', inputs: [2, 3], outputs: [1, 1], pattern: 'outEwiseFusable', infer: convInfer, compute: convCompute });

function depthwiseInfer(ctx: InferContext): TensorType[] {
  const x = checkData(ctx);
  const w = concrete(ctx, 1);
  if (w.length !== 5 || w[0] !== x[1] || w[1] !== 1 || w[4] !== x[4]) throw ctx.fail(`weights ${showShape(w)} must be [${x[1]}, 1, KH, KW, ${x[4]}]`);
  checkBias(ctx, x[1], x[4]);
  const win = window2d(ctx);
  return [tensorType(ctx.type(0).dtype, [x[0], x[1], outExtent(ctx, win, 0, x[2], w[2]), outExtent(ctx, win, 1, x[3], w[3]), x[4]])];
}

function depthwiseCompute(ctx: ComputeContext): Tensor[] {
  const [x, w] = [ctx.input(0), ctx.input(1)];
  const win = window2d(ctx);
  const out = ctx.outputs[0].shape;
  const xp = padded(x, win, [w.shape[2], w.shape[3]], out);
  const [ry, rx] = [reduceAxis(w.shape[2], 'ry'), reduceAxis(w.shape[3], 'rx')];
  const [[sh, sw], [dh, dw]] = [win.strides, win.dilations];
  const zero = constant(0, 'int32');
  const y = compute(out, (n, cb, oh, ow, c) => {
    const v = xp.at(n, cb, at(oh, sh, ry.var, dh), at(ow, sw, rx.var, dw), c);
    return sum(mul(v, w.at(cb, zero, ry.var, rx.var, c)), [ry, rx]);
  }, 'depthwise_conv2d_nchwc', { tag: 'depthwise_conv2d_nchwc', axisNames: ['n', 'cb', 'oh', 'ow', 'c'] });
  return [withBias(y, ctx.optionalInput(2))];
}

defineOp({ domain: DOMAIN, name: 'DepthwiseConv2dNCHWc', inputs: [2, 3], outputs: [1, 1], pattern: 'outEwiseFusable', infer: depthwiseInfer, compute: depthwiseCompute });

// --- global pooling -------------------------------------------------------------------------------

defineOp({
  domain: DOMAIN,
  name: 'GlobalAveragePoolNCHWc',
  inputs: [1, 1],
  outputs: [1, 1],
  pattern: 'reduction',
  infer(ctx) {
    const x = checkData(ctx);
    return [tensorType(ctx.type(0).dtype, [x[0], x[1], 1, 1, x[4]])];
  },
  compute(ctx) {
    const x = ctx.input(0);
    const total = reduceStage(x, [2, 3], true, 'sum', (i) => x.at(...i), 'global_sum');
    const count = constant(x.shape[2] * x.shape[3], x.dtype);
    return [compute(total.shape, (...i) => div(total.at(...i), count), 'global_average_pool_nchwc', { tag: 'elementwise' })];
  },
});

// --- channel concatenation -----------------------------------------------------------------------

function concatInfer(ctx: InferContext): TensorType[] {
  const channels = ctx.ints('channels');
  const count = ctx.node.inputs.length;
  if (channels.length !== count) throw ctx.fail(`channels has ${channels.length} counts for ${count} inputs`);
  const first = checkData(ctx);
  for (let k = 0; k < count; k++) {
    const x = concrete(ctx, k);
    const same = x.length === 5 && x[0] === first[0] && x[2] === first[2] && x[3] === first[3] && x[4] === first[4];
    if (!same || channels[k] < 1 || Math.ceil(channels[k] / first[4]) !== x[1]) throw ctx.fail(`input ${k} ${showShape(x)} does not hold ${channels[k]} channels in blocks like input 0 ${showShape(first)}`);
  }
  const total = channels.reduce((a, b) => a + b, 0);
  return [tensorType(ctx.type(0).dtype, [first[0], Math.ceil(total / first[4]), first[2], first[3], first[4]])];
}

function concatCompute(ctx: ComputeContext): Tensor[] {
  const channels = ctx.ints('channels');
  const inputs = channels.map((_, k) => ctx.input(k));
  const block = inputs[0].shape[4];
  const ends = channels.map((_, k) => channels.slice(0, k + 1).reduce((a, b) => a + b, 0));
  return [compute(ctx.outputs[0].shape, (n, cb, h, w, l) => {
    const c = add(mul(cb, block), l);
    // the last input's range first, so that each select picks the first input whose range holds c
    let value: Expr = constant(0, inputs[0].dtype);
    for (let k = inputs.length - 1; k >= 0; k--) {
      const local = k === 0 ? c : sub(c, ends[k - 1]);
      value = select(lt(c, ends[k]), inputs[k].at(n, floordiv(local, block), h, w, floormod(local, block)), value);
    }
    return value;
  }, 'concat_nchwc', { tag: 'concat_nchwc' })];
}

defineOp({ domain: DOMAIN, name: 'ConcatNCHWc', inputs: [1, 64], outputs: [1, 1], pattern: 'injective', infer: concatInfer, compute: concatCompute });
