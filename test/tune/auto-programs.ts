/**
 * @file The computes the automatic scheduling tests sample schedules for: one fused group of each
 * kind the sketch rules distinguish. Each builder returns a fresh, identical compute per call.
 */

import { buildKernels } from '../../src/codegen/build.js';
import type { TargetName } from '../../src/codegen/index.js';
import type { TargetInfo } from '../../src/codegen/target.js';
import type { Schedule } from '../../src/schedule/index.js';
import { softmaxOf } from '../../src/ops/softmax.js';
import type { ScheduleTask } from '../../src/tune/auto/index.js';
import { kernelArgs, seededRng } from '../../src/tune/auto/index.js';
import type { Tensor } from '../../src/te/index.js';
import { add, and, compute, ge, lt, max, mul, placeholder, reduceAxis, select, sub, sum, tanh } from '../../src/te/index.js';
import { constant } from '../../src/ir/expr.js';

/** C = A·B */
export function matmul(m: number, n: number, k: number): Tensor[] {
  const A = placeholder([m, k], 'float32', 'A');
  const B = placeholder([k, n], 'float32', 'B');
  const r = reduceAxis(k, 'k');
  return [compute([m, n], (i, j) => sum(mul(A.at(i, r.var), B.at(r.var, j)), [r]), 'C', { tag: 'matmul' })];
}

/** relu(conv2d(X, W, pad 1, stride `stride`) + bias): a padded reduction with an epilogue. */
export function conv2d(c: number, h: number, m: number, stride = 1): Tensor[] {
  const X = placeholder([1, c, h, h], 'float32', 'X');
  const W = placeholder([m, c, 3, 3], 'float32', 'W');
  const bias = placeholder([m], 'float32', 'bias');
  const P = compute([1, c, h + 2, h + 2], (n, ci, y, x) => {
    const inside = and(and(ge(y, 1), lt(y, h + 1)), and(ge(x, 1), lt(x, h + 1)));
    return select(inside, X.at(n, ci, sub(y, 1), sub(x, 1)), constant(0, 'float32'));
  }, 'pad', { tag: 'pad' });
  const o = Math.floor((h + 2 - 3) / stride) + 1;
  const rc = reduceAxis(c, 'rc');
  const ry = reduceAxis(3, 'ry');
  const rx = reduceAxis(3, 'rx');
  const Y = compute([1, m, o, o], (n, f, y, x) =>
    sum(mul(P.at(n, rc.var, add(mul(y, stride), ry.var), add(mul(x, stride), rx.var)), W.at(f, rc.var, ry.var, rx.var)), [rc, ry, rx]), 'conv', { tag: 'conv2d' });
  const B = compute([1, m, o, o], (n, f, y, x) => add(Y.at(n, f, y, x), bias.at(f)), 'bias_add');
  return [compute([1, m, o, o], (n, f, y, x) => max(B.at(n, f, y, x), 0), 'relu')];
}

/** relu(Σ X[y + ry, x + rx, c] · W[ry, rx, c, f]), channels last, no padding: a convolution the winograd primitive applies to. */
export function conv3x3(c: number, h: number, m: number): Tensor[] {
  const X = placeholder([1, h + 2, h + 2, c], 'float32', 'X');
  const W = placeholder([3, 3, c, m], 'float32', 'W');
  const [rc, ry, rx] = [reduceAxis(c, 'rc'), reduceAxis(3, 'ry'), reduceAxis(3, 'rx')];
  const names = { axisNames: ['n', 'y', 'x', 'f'] };
  const Y = compute([1, h, h, m], (n, y, x, f) => sum(mul(X.at(n, add(y, ry.var), add(x, rx.var), rc.var), W.at(ry.var, rx.var, rc.var, f)), [rc, ry, rx]), 'conv', { tag: 'conv2d', ...names });
  return [compute([1, h, h, m], (n, y, x, f) => max(Y.at(n, y, x, f), 0), 'relu', names)];
}

/** A 3×3 depthwise convolution, stride 1, no padding. */
export function depthwise(c: number, h: number): Tensor[] {
  const X = placeholder([1, c, h + 2, h + 2], 'float32', 'X');
  const W = placeholder([c, 1, 3, 3], 'float32', 'W');
  const ry = reduceAxis(3, 'ry');
  const rx = reduceAxis(3, 'rx');
  return [compute([1, c, h, h], (n, ch, y, x) => sum(mul(X.at(n, ch, add(y, ry.var), add(x, rx.var)), W.at(ch, 0, ry.var, rx.var)), [ry, rx]), 'dwconv', { tag: 'depthwise_conv2d' })];
}

/** Softmax over the last axis: two reductions and a division. */
export function softmax(rows: number, cols: number): Tensor[] {
  return [softmaxOf(placeholder([rows, cols], 'float32', 'X'), [1])];
}

/** tanh((X + 1) · Y) − X: an element-wise chain. */
export function elementwise(m: number, n: number): Tensor[] {
  const X = placeholder([m, n], 'float32', 'X');
  const Y = placeholder([m, n], 'float32', 'Y');
  const a = compute([m, n], (i, j) => add(X.at(i, j), 1), 'a');
  const b = compute([m, n], (i, j) => mul(a.at(i, j), Y.at(i, j)), 'b');
  return [compute([m, n], (i, j) => sub(tanh(b.at(i, j)), X.at(i, j)), 'out')];
}

/** CPU targets the tests schedule for: the js target's 128-bit vectors and an AVX-512 machine. */
export const CPU128: TargetInfo = { name: 'test128', vectorBits: 128, cores: 2, l1Bytes: 32768, l2Bytes: 1 << 20, l3Bytes: 8 << 20, threads: true, sharedMemory: false };
export const CPU512: TargetInfo = { ...CPU128, name: 'test512', vectorBits: 512 };

export function task(build: () => Tensor[], target: TargetInfo = CPU128): ScheduleTask {
  return { build: () => ({ outputs: build() }), target };
}

/** Seeded floats in [-1, 1). */
export function randomData(n: number, seed: number): Float32Array {
  const rng = seededRng(seed);
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
}

const size = (t: Tensor): number => t.shape.reduce((a, b) => a * b, 1);

/**
 * The outputs of `schedules` (of the same `outputs`) built together into one artifact for
 * `target`, on the same seeded inputs; the first schedule is usually the unscheduled reference.
 */
export async function runSchedules(schedules: readonly Schedule[], outputs: readonly Tensor[], target: TargetName): Promise<Float32Array[][]> {
  const args = kernelArgs(outputs);
  const inputs = args.slice(0, args.length - outputs.length);
  const data = inputs.map((t, k) => randomData(size(t), k + 1));
  const kernel = await buildKernels(schedules.map((schedule, k) => ({ schedule, args, name: `k${k}` })), { target, threads: 2 });
  try {
    return schedules.map((_, k) => {
      const results = outputs.map((t) => new Float32Array(size(t)).fill(NaN));
      kernel.run([...data, ...results], `k${k}`);
      return results;
    });
  } finally {
    kernel.dispose();
  }
}

/** Largest |a − b| / max(1, |a|), Infinity for NaN. */
export function maxRelError(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let q = 0; q < a.length; q++) {
    const e = Math.abs(a[q] - b[q]) / Math.max(1, Math.abs(a[q]));
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}
