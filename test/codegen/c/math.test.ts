/**
 * Accuracy of the c target's own float32 exp (prelude.ts, kiln_exp_f32) and the sigmoid built on
 * it, scalar and 16 lanes wide, with and without FMA contraction, against Math.exp in float64:
 * a dense grid over the range where e^x is neither 0 nor ∞, neighbours of the overflow, subnormal
 * and underflow edges, random bit patterns over the whole float32 line, and the special values.
 */

import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createCBackend } from '../../../src/codegen/c/backend.js';
import type { MathFn } from '../../../src/ir/expr.js';
import { buffer, call, intImm, load, mul, ramp, variable } from '../../../src/ir/expr.js';
import type { PrimFunc } from '../../../src/tir/stmt.js';
import { forLoop, primFunc, store } from '../../../src/tir/stmt.js';
import { HAS_CC, NO_CC, tempDir } from '../harness.js';
import { grid, ulpError } from '../wasm/helpers.js';
import { randomBits } from '../harness.js';

/** out[i] = fn(in[i]), scalar (lanes 1) or in ramps of `lanes`. */
function mapFunc(fn: MathFn, n: number, lanes: number): PrimFunc {
  const [x, out, i] = [buffer('in', 'float32', [n]), buffer('out', 'float32', [n]), variable('i')];
  const idx = lanes === 1 ? i : ramp(mul(i, lanes), 1, lanes);
  return primFunc(`${fn}_x${lanes}`, [x, out], forLoop(i, intImm(0), intImm(n / lanes), store(out, [idx], call(fn, load(x, [idx])))));
}

/** The 2k float32 values nearest x (k below, x and k − 1 above). */
function around(x: number, k: number): number[] {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer)[0];
  const step = x < 0 ? -1 : 1;
  return Array.from({ length: 2 * k }, (_, j) => new Float32Array(Int32Array.of(i + step * (j - k)).buffer)[0]);
}

const SPECIALS = [0, -0, Infinity, -Infinity, NaN, 1, -1, 2 ** -149, -(2 ** -149), 3.4028234663852886e38, -3.4028234663852886e38];
// e^x overflows above 88.72284, leaves the normal range below -87.33655, rounds to 0 below -103.97208; the clamps are at -104 and 89
const EDGES = [88.72284, -87.33655, -103.97208, -104, 89].flatMap((x) => around(x, 64));

const GRID = grid(-104, 89, 80_000);
const SPECIALS_AT = GRID.length + 40_000;

function inputs(): Float32Array {
  const parts = [GRID, randomBits(40_000, 0x2545f491), Float32Array.from([...SPECIALS, ...EDGES])];
  const all = new Float32Array(Math.ceil(parts.reduce((k, p) => k + p.length, 0) / 16) * 16);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

function worstUlp(xs: Float32Array, got: Float32Array, ref: (x: number) => number, where: (x: number) => boolean): { ulp: number; x: number } {
  let worst = { ulp: 0, x: 0 };
  xs.forEach((x, i) => {
    const e = where(x) ? ulpError(got[i], ref(x)) : 0;
    if (e > worst.ulp) worst = { ulp: e, x };
  });
  return worst;
}

const sameBits = (a: Float32Array, b: Float32Array): boolean => a.every((x, i) => (Number.isNaN(x) ? Number.isNaN(b[i]) : Object.is(x, b[i])));

const sigmoidRef = (x: number): number => 1 / (1 + Math.exp(-x));

// ulp bounds: the worst errors over every float32 input (an exhaustive sweep in C, compiled with these flags)
const MODES = [
  { mode: 'fast', exp: 0.94, sigmoid: 2.49 },
  { mode: 'off', exp: 1.23, sigmoid: 2.49 },
] as const;

describe.skipIf(!HAS_CC)('c float32 exp and sigmoid', () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const xs = inputs();

  async function evaluate(fpContract: 'fast' | 'off', fn: MathFn): Promise<{ scalar: Float32Array; vector: Float32Array }> {
    const backend = createCBackend({ cacheDir: dir, fpContract });
    const exe = await backend.load(backend.emit([mapFunc(fn, xs.length, 1), mapFunc(fn, xs.length, 16)]), { threads: 1 });
    const [scalar, vector] = [new Float32Array(xs.length), new Float32Array(xs.length)];
    exe.run(`${fn}_x1`, [xs, scalar]);
    exe.run(`${fn}_x16`, [xs, vector]);
    exe.dispose();
    return { scalar, vector };
  }

  it.each(MODES)('with -ffp-contract=$mode: exp within $exp ulp, 16 lanes matching scalar', async ({ mode, exp }) => {
    const { scalar, vector } = await evaluate(mode, 'exp');
    const worst = worstUlp(xs, scalar, Math.exp, () => true);
    expect(worst.ulp, `exp(${worst.x})`).toBeLessThanOrEqual(exp);
    expect(sameBits(scalar, vector)).toBe(true);
    expect([...scalar.subarray(SPECIALS_AT, SPECIALS_AT + 5)]).toEqual([1, 1, Infinity, 0, NaN]);
  });

  // 1/(1 + e^−x) as the js reference rounds it: for x < −88.72, e^−x is ∞ and the result 0 (true value < 2^−126)
  it.each(MODES)('with -ffp-contract=$mode: sigmoid within $sigmoid ulp where e^-x is finite, else 0', async ({ mode, sigmoid }) => {
    const { scalar, vector } = await evaluate(mode, 'sigmoid');
    const finite = (x: number): boolean => Number.isFinite(Math.fround(Math.exp(-x)));
    const worst = worstUlp(xs, scalar, sigmoidRef, finite);
    expect(worst.ulp, `sigmoid(${worst.x})`).toBeLessThanOrEqual(sigmoid);
    xs.forEach((x, i) => {
      if (!finite(x) && !Number.isNaN(x)) expect(scalar[i], `sigmoid(${x})`).toBe(0);
    });
    expect(sameBits(scalar, vector)).toBe(true);
  });
});

describe.skipIf(HAS_CC)('c float32 exp and sigmoid', () => {
  it.skip(NO_CC, () => undefined);
});
