/**
 * Every math call on float32 and float64, on js and c, against JavaScript's Math in double
 * precision (rounded to float32 where the kernel is float32), erf against a table of values and
 * round (half to even) against hand-written results.
 *
 * Tolerance: calls that are exact in IEEE arithmetic (sqrt, rsqrt as 1/sqrt, abs, floor, ceil,
 * round) must match bit for bit. Transcendentals differ by libm rounding: float32 within 1e-6
 * relative + 1e-7 absolute (a few ulp, and the absolute part covers results that underflow in
 * float32 steps), float64 within 1e-14 relative + 1e-300 absolute.
 */

import type { DType } from '../../src/ir/dtype.js';
import type { MathFn } from '../../src/ir/expr.js';
import { call } from '../../src/ir/expr.js';
import type { Case, Expected } from './harness.js';
import { elementwise, hostArray, runOnTargets } from './harness.js';

type FloatT = 'float32' | 'float64';

const ERF_TABLE: [number, number][] = [
  [0.1, 0.1124629160182849],
  [0.5, 0.5204998778130465],
  [1, 0.8427007929497149],
  [1.5, 0.9661051464753108],
  [2, 0.9953222650189527],
  [2.5, 0.999593047982555],
  [3, 0.9999779095030014],
  [-0.5, -0.5204998778130465],
  [0, 0],
  [6, 1],
];

const ROUND_TABLE: [number, number][] = [
  [0.5, 0],
  [1.5, 2],
  [2.5, 2],
  [-0.5, -0],
  [-1.5, -2],
  [-2.5, -2],
  [2.6, 3],
  [-2.6, -3],
  [0.4999999, 0],
  [-0.4, -0],
  [1e20, 1e20],
];

const UNARY: Record<Exclude<MathFn, 'pow' | 'erf' | 'round'>, [readonly number[], (x: number) => number, boolean]> = {
  exp: [[-10, -1, -0.5, 0, 0.5, 1, 10, 80, -100], Math.exp, false],
  log: [[1e-10, 0.1, 0.5, 1, 2, 10, 1e10, 0, -1], Math.log, false],
  sqrt: [[0, 0.25, 2, 1e10, -1], Math.sqrt, true],
  rsqrt: [[0.25, 2, 3, 1e-10, 0], (x) => 1 / Math.sqrt(x), true],
  tanh: [[-20, -1, -0.1, 0, 1e-5, 0.5, 3, 20], Math.tanh, false],
  sigmoid: [[-20, -1, 0, 0.5, 3, 20, -100], (x) => 1 / (1 + Math.exp(-x)), false],
  abs: [[-1.5, 1.5, -0, 0, -Infinity], Math.abs, true],
  floor: [[-1.5, 1.5, -0.5, 0.5, 2, -2, 1e20, -0], Math.floor, true],
  ceil: [[-1.5, 1.5, -0.5, 0.5, 2, -2, 1e20, -0], Math.ceil, true],
  sin: [[0, 0.5, 1, -2, 3.14159, 100, 1e4], Math.sin, false],
  cos: [[0, 0.5, 1, -2, 3.14159, 100, 1e4], Math.cos, false],
};

const POW: [number, number][] = [[2, 10], [2, 0.5], [10, -2], [-2, 3], [-2, 0.5], [0, 0], [1.5, 2.5]];

function tolerance(t: FloatT, exact: boolean): Pick<Expected, 'rtol' | 'atol'> {
  if (exact) return {};
  return t === 'float32' ? { rtol: 1e-6, atol: 1e-7 } : { rtol: 1e-14, atol: 1e-300 };
}

function unaryCase(fn: MathFn, t: FloatT, xs: readonly number[], ref: (x: number) => number, exact: boolean): Case {
  const r = t === 'float32' ? Math.fround : (x: number): number => x;
  const input = xs.map(r);
  return {
    func: elementwise(`${fn}_${t}`, [t], t, xs.length, (x) => call(fn, x)),
    args: () => [hostArray(t, input), hostArray(t, input.map(() => 0))],
    expect: [{ arg: 1, values: input.map((x) => r(ref(x))), ...tolerance(t, exact) }],
  };
}

function powCase(t: FloatT): Case {
  const r = t === 'float32' ? Math.fround : (x: number): number => x;
  return {
    func: elementwise(`pow_${t}`, [t, t], t, POW.length, (x, y) => call('pow', x, y)),
    args: () => [hostArray(t, POW.map((p) => p[0])), hostArray(t, POW.map((p) => p[1])), hostArray(t, POW.map(() => 0))],
    expect: [{ arg: 2, values: POW.map(([a, b]) => r(Math.pow(r(a), r(b)))), ...tolerance(t, false) }],
  };
}

function tableCase(fn: MathFn, t: FloatT, table: [number, number][], exact: boolean): Case {
  const r = t === 'float32' ? Math.fround : (x: number): number => x;
  return {
    func: elementwise(`${fn}_${t}`, [t], t, table.length, (x) => call(fn, x)),
    args: () => [hostArray(t, table.map((p) => p[0])), hostArray(t, table.map(() => 0))],
    expect: [{ arg: 1, values: table.map((p) => r(p[1])), ...tolerance(t, exact) }],
  };
}

const INT_ABS: [DType, number[], (number | bigint)[]][] = [
  ['int8', [-128, -5, 7, 0], [-128, 5, 7, 0]],
  ['uint8', [255, 0, 7], [255, 0, 7]],
  ['int32', [-2147483648, -3, 4], [-2147483648, 3, 4]],
  ['int64', [-(2 ** 50), -3, 4], [2n ** 50n, 3n, 4n]],
];

const cases: Case[] = (['float32', 'float64'] as const).flatMap((t) => [
  ...Object.entries(UNARY).map(([fn, [xs, ref, exact]]) => unaryCase(fn as MathFn, t, xs, ref, exact)),
  powCase(t),
  tableCase('erf', t, ERF_TABLE, false),
  tableCase('round', t, ROUND_TABLE, true),
]);
for (const [t, xs, want] of INT_ABS) {
  cases.push({
    func: elementwise(`abs_${t}`, [t], t, xs.length, (x) => call('abs', x)),
    args: () => [hostArray(t, xs), hostArray(t, xs.map(() => 0))],
    expect: [{ arg: 1, values: want }],
  });
}

runOnTargets(cases);
