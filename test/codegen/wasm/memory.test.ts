// Constant parts of indices in the offset immediate: only when the rest is known to be ≥ 0.
import { describe, expect, it } from 'vitest';
import { add, buffer, intImm, load, sub, variable } from '../../../src/ir/expr.js';
import { forLoop, primFunc, store } from '../../../src/tir/stmt.js';
import { runFunc } from './helpers.js';

describe('addresses', () => {
  it('reads i + c through the offset immediate, and (i - 1) + c, whose rest may be negative, as a whole', async () => {
    const [A, C, D] = [buffer('A', 'float32', [8]), buffer('C', 'float32', [8]), buffer('D', 'float32', [8])];
    const i = variable('i');
    const body = forLoop(i, intImm(0), intImm(5), store(C, [add(i, intImm(1))], load(A, [add(i, intImm(3))])));
    const j = variable('j');
    const tail = forLoop(j, intImm(0), intImm(5), store(D, [add(sub(j, intImm(1)), intImm(2))], load(A, [add(sub(j, intImm(1)), intImm(1))])));
    const a = Float32Array.from({ length: 8 }, (_, k) => k + 10);
    const [c, d] = [new Float32Array(8), new Float32Array(8)];
    await runFunc(primFunc('offsets', [A, C, D], body), [a, c, new Float32Array(8)]);
    await runFunc(primFunc('negative', [A, C, D], tail), [a, new Float32Array(8), d]);
    expect([...c]).toEqual([0, 13, 14, 15, 16, 17, 0, 0]);
    expect([...d]).toEqual([0, 10, 11, 12, 13, 14, 0, 0]);
  });
});
