/**
 * Random tensor programs for the cross-target property test: element-wise chains, broadcasts,
 * reductions, matmul, conv2d and a two-stage producer/consumer. Each is built from a seeded random
 * source so a failing case is reproduced by its seed alone.
 */

import type { Expr } from '../../src/ir/expr.js';
import { add, and, ge, lt, max, mul, select, sub } from '../../src/ir/expr.js';
import type { Tensor } from '../../src/te/index.js';
import { compute, exp, placeholder, reduceAxis, reduceMax, sigmoid, sum, tanh } from '../../src/te/index.js';

export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
}

export function rng(seed: number): Rng {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
}

export interface Program {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /** the kernel's output (the last stage) */
  readonly output: Tensor;
}

function elementwise(r: Rng): Program {
  const shape = [r.int(1, 9), r.int(1, 13)];
  const A = placeholder(shape, 'float32', 'A');
  const B = placeholder(shape, 'float32', 'B');
  const unary = [(e: Expr) => tanh(e), (e: Expr) => sigmoid(e), (e: Expr) => max(e, 0), (e: Expr) => mul(e, 0.5)];
  const f = r.pick(unary);
  const g = r.pick(unary);
  const T = compute(shape, (i, j) => f(add(A.at(i, j), B.at(i, j))), 'T');
  const out = compute(shape, (i, j) => g(sub(T.at(i, j), A.at(i, j))), 'out');
  return { name: 'elementwise', inputs: [A, B], output: out };
}

function broadcast(r: Rng): Program {
  const [m, n] = [r.int(1, 9), r.int(1, 17)];
  const A = placeholder([m, 1], 'float32', 'A');
  const B = placeholder([1, n], 'float32', 'B');
  const out = compute([m, n], (i, j) => mul(add(A.at(i, 0), B.at(0, j)), B.at(0, j)), 'out');
  return { name: 'broadcast', inputs: [A, B], output: out };
}

function reduction(r: Rng): Program {
  const [m, n] = [r.int(1, 9), r.int(1, 19)];
  const A = placeholder([m, n], 'float32', 'A');
  const k = reduceAxis(n, 'k');
  const out = r.next() < 0.5
    ? compute([m], (i) => sum(exp(mul(A.at(i, k.var), 0.25)), [k]), 'out')
    : compute([m], (i) => reduceMax(A.at(i, k.var), [k]), 'out');
  return { name: 'reduction', inputs: [A], output: out };
}

function matmul(r: Rng): Program {
  const [m, n, kk] = [r.int(1, 12), r.int(1, 20), r.int(1, 12)];
  const A = placeholder([m, kk], 'float32', 'A');
  const B = placeholder([kk, n], 'float32', 'B');
  const k = reduceAxis(kk, 'k');
  const out = compute([m, n], (i, j) => sum(mul(A.at(i, k.var), B.at(k.var, j)), [k]), 'out', { tag: 'matmul' });
  return { name: 'matmul', inputs: [A, B], output: out };
}

function conv2d(r: Rng): Program {
  const [c, h, w, f, ks, pad] = [r.int(1, 3), r.int(3, 7), r.int(3, 7), r.int(1, 4), r.pick([1, 3]), r.int(0, 1)];
  const X = placeholder([c, h, w], 'float32', 'X');
  const W = placeholder([f, c, ks, ks], 'float32', 'W');
  const [oh, ow] = [h + 2 * pad - ks + 1, w + 2 * pad - ks + 1];
  const P = compute([c, h + 2 * pad, w + 2 * pad], (ci, y, x) => {
    const inside = and(and(ge(y, pad), lt(y, h + pad)), and(ge(x, pad), lt(x, w + pad)));
    return select(inside, X.at(ci, sub(y, pad), sub(x, pad)), 0);
  }, 'pad');
  const rc = reduceAxis(c, 'rc');
  const ry = reduceAxis(ks, 'ry');
  const rx = reduceAxis(ks, 'rx');
  const out = compute([f, oh, ow], (fo, y, x) =>
    sum(mul(P.at(rc.var, add(y, ry.var), add(x, rx.var)), W.at(fo, rc.var, ry.var, rx.var)), [rc, ry, rx]), 'out', { tag: 'conv2d' });
  return { name: 'conv2d', inputs: [X, W], output: out };
}

function producerConsumer(r: Rng): Program {
  const [m, n] = [r.int(2, 10), r.int(2, 14)];
  const A = placeholder([m, n + 2], 'float32', 'A');
  const P = compute([m, n + 2], (i, j) => mul(A.at(i, j), 2), 'P');
  const out = compute([m, n], (i, j) => add(add(P.at(i, j), P.at(i, add(j, 1))), P.at(i, add(j, 2))), 'out');
  return { name: 'producerConsumer', inputs: [A], output: out };
}

export const PROGRAMS = [elementwise, broadcast, reduction, matmul, conv2d, producerConsumer];

export function randomProgram(r: Rng): Program {
  return r.pick(PROGRAMS)(r);
}
