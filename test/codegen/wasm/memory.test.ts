// Memory accesses: constant parts of indices in the offset immediate (only when the rest is known
// to be ≥ 0), and broadcasts loaded straight into all lanes.
import { describe, expect, it } from 'vitest';
import { add, broadcast, buffer, intImm, load, mul, ramp, sub, variable } from '../../../src/ir/expr.js';
import { forLoop, primFunc, seq, store } from '../../../src/tir/stmt.js';
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

  it('broadcasts an element loaded from memory (v128.load32_splat), float32 and int32', async () => {
    const [A, N, C, D] = [buffer('A', 'float32', [4]), buffer('N', 'int32', [4]), buffer('C', 'float32', [16]), buffer('D', 'int32', [16])];
    const i = variable('i');
    const at = ramp(mul(i, intImm(4)), 1, 4);
    const body = seq(store(C, [at], broadcast(load(A, [add(i, intImm(0))]), 4)), store(D, [at], broadcast(load(N, [i]), 4)));
    const [c, d] = [new Float32Array(16), new Int32Array(16)];
    await runFunc(primFunc('splat', [A, N, C, D], forLoop(i, intImm(0), intImm(4), body)), [Float32Array.of(1.5, -2, 3, 4), Int32Array.of(7, -8, 9, 10), c, d]);
    expect([...c]).toEqual([1.5, 1.5, 1.5, 1.5, -2, -2, -2, -2, 3, 3, 3, 3, 4, 4, 4, 4]);
    expect([...d]).toEqual([7, 7, 7, 7, -8, -8, -8, -8, 9, 9, 9, 9, 10, 10, 10, 10]);
  });
});
