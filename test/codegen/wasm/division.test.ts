// Integer division by a positive constant: a dividend known to be ≥ 0 (loop counters and what
// is built from them) divides unsigned, one that may be negative still rounds toward −∞.
import { describe, expect, it } from 'vitest';
import type { DType } from '../../../src/ir/dtype.js';
import type { Expr } from '../../../src/ir/expr.js';
import { add, buffer, div, floordiv, floormod, intImm, load, mod, mul, variable } from '../../../src/ir/expr.js';
import { forLoop, primFunc, seq, store } from '../../../src/tir/stmt.js';
import { runFunc } from './helpers.js';

const N = 1000;
const SCALE = 2_000_000;
const DIVISOR = 160;

const floorDiv = (a: number, b: number): number => Math.floor(a / b);
const floorMod = (a: number, b: number): number => a - Math.floor(a / b) * b;

describe.each<DType>(['int32', 'int64'])('division by a constant, %s', (dtype) => {
  it('of a loop counter expression (≥ 0) and of a loaded, possibly negative, value', async () => {
    const ops: [(a: Expr, b: Expr) => Expr, (a: number, b: number) => number][] = [
      [floordiv, floorDiv],
      [floormod, floorMod],
      [div, (a, b) => Math.trunc(a / b)],
      [mod, (a, b) => a % b],
    ];
    const A = buffer('A', dtype, [N]);
    const outs = ops.map((_, k) => [buffer(`P${k}`, dtype, [N]), buffer(`S${k}`, dtype, [N])] as const);
    const i = variable('i', dtype);
    const c = (v: number): Expr => intImm(v, dtype);
    // floormod of floordiv: nested results are known ≥ 0 too
    const counter = add(mul(i, c(SCALE)), c(7));
    const body = seq(
      ...ops.flatMap(([op], k) => [
        store(outs[k][0], [i], op(floormod(floordiv(counter, c(3)), c(1 << 30)), c(DIVISOR))),
        store(outs[k][1], [i], op(load(A, [i]), c(DIVISOR))),
      ]),
    );
    const f = primFunc(`division_${dtype}`, [A, ...outs.flat()], forLoop(i, c(0), c(N), body));
    const signed = Array.from({ length: N }, (_, k) => (k % 2 === 0 ? -1 : 1) * (k * 2_000_000 + 13));
    const toArray = (xs: number[]): Int32Array | BigInt64Array => (dtype === 'int32' ? Int32Array.from(xs) : BigInt64Array.from(xs.map(BigInt)));
    const arrays = outs.flatMap(() => [toArray(new Array<number>(N).fill(0)), toArray(new Array<number>(N).fill(0))]);
    await runFunc(f, [toArray(signed), ...arrays]);
    ops.forEach(([, ref], k) => {
      const counters = Array.from({ length: N }, (_, n) => ref(floorMod(floorDiv(n * SCALE + 7, 3), 1 << 30), DIVISOR));
      expect(Array.from(arrays[2 * k], Number)).toEqual(counters);
      expect(Array.from(arrays[2 * k + 1], Number)).toEqual(signed.map((a) => ref(a, DIVISOR) + 0));
    });
  });
});
