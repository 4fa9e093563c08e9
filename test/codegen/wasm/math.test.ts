// Accuracy of the math calls that have no wasm instruction, scalar and float32x4, against Math.*
// (the correctly rounded float32 result of the float64 reference) over wide ranges, random bit
// patterns covering the whole float32 line, and the special values.
import { describe, expect, it } from 'vitest';
import type { Executable } from '../../../src/codegen/target.js';
import { wasmBackend } from '../../../src/codegen/wasm/index.js';
import type { DType } from '../../../src/ir/dtype.js';
import type { MathFn } from '../../../src/ir/expr.js';
import { broadcast, buffer, call, floatImm, intImm, load, mul, ramp, variable } from '../../../src/ir/expr.js';
import type { PrimFunc } from '../../../src/tir/stmt.js';
import { forLoop, primFunc, store } from '../../../src/tir/stmt.js';
import { erfReference, grid, ulpError } from './helpers.js';
import { randomBits } from '../harness.js';

/** out[i] = fn(in0[i], …), scalar (lanes 1) or in ramps of `lanes`. */
function mapFunc(fn: MathFn, n: number, dtype: DType, lanes: number): PrimFunc {
  const ins = Array.from({ length: fn === 'pow' ? 2 : 1 }, (_, k) => buffer(`in${k}`, dtype, [n]));
  const out = buffer('out', dtype, [n]);
  const i = variable('i');
  const idx = lanes === 1 ? i : ramp(mul(i, lanes), 1, lanes);
  const body = store(out, [idx], call(fn, ...ins.map((b) => load(b, [idx]))));
  return primFunc(`${fn}_x${lanes}`, [...ins, out], forLoop(i, intImm(0), intImm(n / lanes), body));
}

async function evaluate(fn: MathFn, inputs: readonly Float32Array[]): Promise<{ scalar: Float32Array; vector: Float32Array }> {
  const n = inputs[0].length;
  const exe: Executable = await wasmBackend.load(wasmBackend.emit([mapFunc(fn, n, 'float32', 1), mapFunc(fn, n, 'float32', 4)], { threads: 1 }));
  const scalar = new Float32Array(n);
  const vector = new Float32Array(n);
  exe.run(`${fn}_x1`, [...inputs, scalar]);
  exe.run(`${fn}_x4`, [...inputs, vector]);
  exe.dispose();
  return { scalar, vector };
}

const SPECIALS = [0, -0, Infinity, -Infinity, NaN, 1, -1, 2 ** -149, -(2 ** -149), 2 ** -126, 3.4028234663852886e38, -3.4028234663852886e38];

function inputsFor(lo: number, hi: number, seed: number): Float32Array {
  const parts = [grid(lo, hi, 60_000), randomBits(20_000, seed), Float32Array.from(SPECIALS)];
  const n = Math.ceil(parts.reduce((k, p) => k + p.length, 0) / 4) * 4;
  const all = new Float32Array(n);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

function worstUlp(xs: Float32Array, got: Float32Array, ref: (x: number) => number): { ulp: number; x: number } {
  let worst = { ulp: 0, x: 0 };
  xs.forEach((x, i) => {
    const e = ulpError(got[i], ref(x));
    if (e > worst.ulp) worst = { ulp: e, x };
  });
  return worst;
}

/** Same value, NaN for NaN: vector lanes must match the scalar code bit for bit otherwise. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.every((x, i) => (Number.isNaN(x) ? Number.isNaN(b[i]) : Object.is(x, b[i])));
}

// stated bound (ulp) and the range of the dense grid
const CASES: readonly [MathFn, (x: number) => number, number, number, number][] = [
  ['exp', Math.exp, 1.2, -110, 90],
  ['log', Math.log, 1.0, 0, 1e6],
  ['tanh', Math.tanh, 1.1, -12, 12],
  ['sigmoid', (x) => 1 / (1 + Math.exp(-x)), 1.8, -110, 110],
  ['erf', erfReference, 1.3, -6, 6],
  ['sin', Math.sin, 0.51, -1e4, 1e4],
  ['cos', Math.cos, 0.51, -1e4, 1e4],
];

describe('float32 math kernels', () => {
  it.each(CASES)('%s is within its stated ulp bound, and SIMD matches scalar', async (fn, ref, bound, lo, hi) => {
    let xs = inputsFor(lo, hi, 0x9e3779b9 ^ fn.length);
    // the sin/cos reduction is exact for |x| < 8e8 only
    if (fn === 'sin' || fn === 'cos') xs = xs.map((x) => (Math.abs(x) < 8e8 ? x : 0));
    const { scalar, vector } = await evaluate(fn, [xs]);
    const worst = worstUlp(xs, scalar, ref);
    expect(worst.ulp, `${fn}(${worst.x})`).toBeLessThanOrEqual(bound);
    expect(sameBits(scalar, vector)).toBe(true);
  });

  it('keeps the special values of each function', async () => {
    const xs = Float32Array.from([0, -0, Infinity, -Infinity, NaN, -1, -(2 ** -149), 1e-30]);
    const expected: Partial<Record<MathFn, number[]>> = {
      exp: [1, 1, Infinity, 0, NaN],
      log: [-Infinity, -Infinity, Infinity, NaN, NaN, NaN, NaN],
      tanh: [0, -0, 1, -1, NaN],
      sigmoid: [0.5, 0.5, 1, 0, NaN],
      erf: [0, -0, 1, -1, NaN],
      sin: [0, -0, NaN, NaN, NaN],
    };
    for (const [fn, want] of Object.entries(expected) as [MathFn, number[]][]) {
      const { scalar, vector } = await evaluate(fn, [xs]);
      expect([...scalar.subarray(0, want.length)], fn).toEqual(want);
      expect(sameBits(scalar, vector), fn).toBe(true);
    }
  });

  it('pow follows C: exact rounding of e^{y·ln x} and the IEEE special cases', async () => {
    const n = 40_000;
    const x = new Float32Array(n);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = i % 3 === 0 ? -((i % 17) + 0.5) : ((i * 7919) % 100_000) / 1000;
      y[i] = i % 3 === 0 ? (i % 11) - 5 : ((i * 104729) % 40_000) / 1000 - 20;
    }
    const { scalar, vector } = await evaluate('pow', [x, y]);
    let max = 0;
    x.forEach((xi, i) => {
      max = Math.max(max, ulpError(scalar[i], Math.pow(xi, y[i])));
    });
    expect(max).toBeLessThanOrEqual(0.51);
    expect(sameBits(scalar, vector)).toBe(true);
    const cases: [number, number, number][] = [
      [2, 10, 1024], [-2, 3, -8], [-2, 0.5, NaN], [0, -1, Infinity], [-0, -1, -Infinity], [-0, 2, 0],
      [1, NaN, 1], [NaN, 0, 1], [-1, Infinity, 1], [-Infinity, 3, -Infinity], [-Infinity, 2.5, Infinity],
      [0.5, Infinity, 0], [2, -Infinity, 0], [NaN, 1, NaN], [1e20, 3, Infinity], [3, -200, 0],
    ];
    const special = await evaluate('pow', [Float32Array.from(cases.map((c) => c[0]).concat([1, 1, 1, 1])), Float32Array.from(cases.map((c) => c[1]).concat([1, 1, 1, 1]))]);
    expect([...special.scalar.subarray(0, cases.length)]).toEqual(cases.map((c) => c[2]));
  });
});

/** out[i] = pow(in[i], y) with the exponent a constant (broadcast in the vector form). */
function constPowFunc(y: number, n: number, lanes: number): PrimFunc {
  const [x, out, i] = [buffer('in', 'float32', [n]), buffer('out', 'float32', [n]), variable('i')];
  const idx = lanes === 1 ? i : ramp(mul(i, lanes), 1, lanes);
  const body = store(out, [idx], call('pow', load(x, [idx]), broadcast(floatImm(y), lanes)));
  return primFunc(`pow_x${lanes}`, [x, out], forLoop(i, intImm(0), intImm(n / lanes), body));
}

describe('float32 pow by a constant quarter power', () => {
  it.each([0.75, 0.5, 0.25])('x^%f from square roots is within 2.5 ulp, keeps pow special values, SIMD matching scalar', async (y) => {
    const xs = inputsFor(0, 1e6, 0x51ed27);
    const exe = await wasmBackend.load(wasmBackend.emit([constPowFunc(y, xs.length, 1), constPowFunc(y, xs.length, 4)], { threads: 1 }));
    const [scalar, vector] = [new Float32Array(xs.length), new Float32Array(xs.length)];
    exe.run('pow_x1', [xs, scalar]);
    exe.run('pow_x4', [xs, vector]);
    exe.dispose();
    const worst = worstUlp(xs, scalar, (x) => Math.pow(x, y));
    expect(worst.ulp, `pow(${worst.x}, ${y})`).toBeLessThanOrEqual(2.5);
    expect(sameBits(scalar, vector)).toBe(true);
    // Math.pow gives IEEE pow's signs of zero and infinities: every special value, bit for bit
    xs.forEach((x, i) => {
      const want = Math.fround(Math.pow(x, y));
      if (!Number.isFinite(want) || want === 0 || !Number.isFinite(x) || x === 0) expect(Object.is(scalar[i], want) || (Number.isNaN(want) && Number.isNaN(scalar[i])), `pow(${x}, ${y})`).toBe(true);
    });
  });
});

describe('float64 math', () => {
  it('uses the host Math functions, a float64 sigmoid and a series erf', async () => {
    const xs = Float64Array.from({ length: 2000 }, (_, i) => (i - 1000) / 97);
    const fns: MathFn[] = ['exp', 'log', 'tanh', 'sin', 'cos', 'sigmoid', 'erf'];
    const funcs = fns.map((fn) => mapFunc(fn, xs.length, 'float64', 1));
    const exe = await wasmBackend.load(wasmBackend.emit(funcs, { threads: 1 }));
    const out = (fn: MathFn): Float64Array => {
      const o = new Float64Array(xs.length);
      exe.run(`${fn}_x1`, [xs, o]);
      return o;
    };
    for (const fn of ['exp', 'log', 'tanh', 'sin', 'cos'] as const) expect([...out(fn)]).toEqual([...xs].map((x) => Math[fn](x)));
    const sig = out('sigmoid');
    xs.forEach((x, i) => expect(Math.abs(sig[i] - 1 / (1 + Math.exp(-x)))).toBeLessThanOrEqual(4e-16 * (1 / (1 + Math.exp(-x)))));
    const erf = out('erf');
    xs.forEach((x, i) => expect(Math.abs(erf[i] - erfReference(x))).toBeLessThanOrEqual(2e-15 * Math.abs(erfReference(x))));
    exe.dispose();
  });

  it('computes float64 erf to within 2e-15 of tabulated values', async () => {
    const table: [number, number][] = [
      [0.1, 0.1124629160182848922], [0.5, 0.5204998778130465377], [1, 0.8427007929497148694],
      [1.5, 0.9661051464753107271], [2, 0.9953222650189527342], [2.5, 0.9995930479825550411],
      [3, 0.9999779095030014146], [-1, -0.8427007929497148694],
    ];
    const exe = await wasmBackend.load(wasmBackend.emit([mapFunc('erf', table.length, 'float64', 1)], { threads: 1 }));
    const got = new Float64Array(table.length);
    exe.run('erf_x1', [Float64Array.from(table.map((t) => t[0])), got]);
    table.forEach(([, want], i) => expect(Math.abs(got[i] - want)).toBeLessThanOrEqual(2e-15 * Math.abs(want)));
    exe.dispose();
  });
});
