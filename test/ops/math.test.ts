/**
 * @file Accuracy of the element-wise ops that kiln spells with other calls (atan by range
 * reduction and a series, the hyperbolic functions through exp and log in float64, softplus in
 * its overflow-free form): each against JavaScript's Math over a sweep that includes the
 * awkward points (±1 for asin/acos, 0, large magnitudes).
 */

import { describe, expect, it } from 'vitest';
import { float } from '../../src/graph/attrs.js';
import { tensorNumbers, tensorOf } from '../../src/graph/tensor.js';
import '../../src/ops/index.js';
import { runOp } from './run.js';

function sweep(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, k) => Math.fround(lo + ((hi - lo) * k) / (n - 1)));
}

const CASES: readonly [string, (x: number) => number, number[]][] = [
  ['Atan', Math.atan, [...sweep(-50, 50, 401), 0, 1e-6, -1e-6, 1e6, -1e6]],
  ['Asin', Math.asin, [...sweep(-1, 1, 401), 1e-7]],
  ['Acos', Math.acos, sweep(-1, 1, 401)],
  ['Tan', Math.tan, sweep(-1.5, 1.5, 301)],
  ['Sinh', Math.sinh, [...sweep(-10, 10, 401), 1e-5, -1e-5]],
  ['Cosh', Math.cosh, sweep(-10, 10, 401)],
  ['Asinh', Math.asinh, [...sweep(-100, 100, 401), 1e-5, -1e-5]],
  ['Acosh', Math.acosh, sweep(1, 100, 401)],
  ['Atanh', Math.atanh, [...sweep(-0.999, 0.999, 401), 1e-5]],
  ['Softplus', (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), [...sweep(-100, 100, 401), 1000, -1000]],
];

describe('derived math ops', () => {
  it.each(CASES)('%s is accurate to float32 rounding', (op, ref, xs) => {
    const [y] = runOp(op, [tensorOf('float32', [xs.length], xs)]);
    tensorNumbers(y).forEach((v, k) => {
      const want = Math.fround(ref(xs[k]));
      expect(Math.abs(v - want), `${op}(${xs[k]})`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
    });
  });

  it('computes Gelu exactly and in its tanh form', () => {
    const xs = sweep(-6, 6, 121);
    const erfGelu = (x: number): number => 0.5 * x * (1 + erfRef(x / Math.SQRT2));
    const tanhGelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    const [exact] = runOp('Gelu', [tensorOf('float32', [xs.length], xs)]);
    const [approx] = runOp('Gelu', [tensorOf('float32', [xs.length], xs)], { attrs: { approximate: { kind: 'string', value: 'tanh' } } });
    tensorNumbers(exact).forEach((v, k) => expect(Math.abs(v - erfGelu(xs[k]))).toBeLessThan(1e-5));
    tensorNumbers(approx).forEach((v, k) => expect(Math.abs(v - tanhGelu(xs[k]))).toBeLessThan(1e-5));
    const [lrelu] = runOp('LeakyRelu', [tensorOf('float32', [2], [-2, 3])], { attrs: { alpha: float(0.25) } });
    expect(tensorNumbers(lrelu)).toEqual([-0.5, 3]);
  });
});

/** erf by its Maclaurin series (|x| ≤ 4.3 here; enough terms for 1e-10). */
function erfRef(x: number): number {
  let term = x;
  let total = x;
  for (let n = 1; n < 120; n++) {
    term *= (-x * x) / n;
    total += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * total;
}
