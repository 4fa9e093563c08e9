/**
 * @file Small computes shared by the lowering tests. Each call builds a fresh, identical compute,
 * which is what replaying a schedule needs.
 */

import type { Tensor } from '../../src/te/index.js';
import { add, compute, mul, placeholder, reduceAxis, sum } from '../../src/te/index.js';

export interface Program {
  readonly args: Tensor[];
  readonly out: Tensor;
}

/** C[i, j] = sum(A[i, k] * B[k, j], k) */
export function matmul(m: number, n: number, k: number): Program & { A: Tensor; B: Tensor } {
  const A = placeholder([m, k], 'float32', 'A');
  const B = placeholder([k, n], 'float32', 'B');
  const r = reduceAxis(k, 'k');
  const C = compute([m, n], (i, j) => sum(mul(A.at(i, r.var), B.at(r.var, j)), [r]), 'C');
  return { A, B, args: [A, B, C], out: C };
}

/** B = A + 1 (n+2 square), C[i, j] = sum over a 3x3 window of B: a producer/consumer pair. */
export function stencil(n: number): Program & { A: Tensor; B: Tensor } {
  const A = placeholder([n + 2, n + 2], 'float32', 'A');
  const B = compute([n + 2, n + 2], (i, j) => add(A.at(i, j), 1), 'B');
  const ry = reduceAxis(3, 'ry');
  const rx = reduceAxis(3, 'rx');
  const C = compute([n, n], (i, j) => sum(B.at(add(i, ry.var), add(j, rx.var)), [ry, rx]), 'C');
  return { A, B, args: [A, C], out: C };
}

/** C = A * 2 (1-D) */
export function scale(n: number): Program & { A: Tensor } {
  const A = placeholder([n], 'float32', 'A');
  const C = compute([n], (i) => mul(A.at(i), 2), 'C');
  return { A, args: [A, C], out: C };
}

/** B = A + 1, C = B * 2 (2-D): an injective chain. */
export function chain(m: number, n: number): Program & { A: Tensor; B: Tensor } {
  const A = placeholder([m, n], 'float32', 'A');
  const B = compute([m, n], (i, j) => add(A.at(i, j), 1), 'B');
  const C = compute([m, n], (i, j) => mul(B.at(i, j), 2), 'C');
  return { A, B, args: [A, C], out: C };
}

/** C[i] = sum(A[i, k], k) */
export function rowSum(m: number, k: number): Program & { A: Tensor } {
  const A = placeholder([m, k], 'float32', 'A');
  const r = reduceAxis(k, 'k');
  const C = compute([m], (i) => sum(A.at(i, r.var), [r]), 'C');
  return { A, args: [A, C], out: C };
}
