/**
 * Loops that GCC 12 miscompiles at -O3 -march=native on AVX-512 machines unless loop
 * if-conversion is off (see the flags in src/codegen/c/compile.ts). Each kernel is the plain
 * unvectorized loop nest the default schedule gives an ONNX And / PRelu node; the data reproduce
 * wrong lanes when the flag is missing.
 */

import { describe, expect, it } from 'vitest';
import { buildKernel } from '../../src/codegen/build.js';
import { and, lt, mul, select } from '../../src/ir/expr.js';
import { createSchedule } from '../../src/schedule/index.js';
import { compute, placeholder } from '../../src/te/index.js';
import { HAS_CC, NO_CC } from './harness.js';

describe.skipIf(!HAS_CC)(`c: loops with conditionals (${HAS_CC ? 'cc found' : NO_CC})`, () => {
  it('logical and of two bool loads', async () => {
    const shape = [3, 4, 5, 6];
    const A = placeholder(shape, 'bool', 'A');
    const B = placeholder(shape, 'bool', 'B');
    const C = compute(shape, (i, j, k, l) => and(A.at(i, j, k, l), B.at(i, j, k, l)), 'C');
    const s = createSchedule([C]);
    const c = s.stage(C);
    c.fuse(c.axis[0], c.axis[1], c.axis[2]);
    const kernel = await buildKernel(s, [A, B, C], { target: 'c', threads: 1 });
    const a = Uint8Array.from({ length: 360 }, (_, i) => ((i * 7) % 3 ? 1 : 0));
    const b = Uint8Array.from({ length: 360 }, (_, i) => ((i * 5) % 4 ? 1 : 0));
    const out = new Uint8Array(360);
    kernel.run([a, b, out]);
    expect([...out]).toEqual([...a].map((v, i) => v & b[i]));
    kernel.dispose();
  });

  it('select between a product and a load (PRelu)', async () => {
    const X = placeholder([3, 4, 5], 'float32', 'X');
    const S = placeholder([3, 4, 5], 'float32', 'S');
    const C = compute([3, 4, 5], (i, j, k) => select(lt(X.at(i, j, k), 0), mul(S.at(i, j, k), X.at(i, j, k)), X.at(i, j, k)), 'C');
    const s = createSchedule([C]);
    const c = s.stage(C);
    c.fuse(c.axis[0], c.axis[1]);
    const kernel = await buildKernel(s, [X, S, C], { target: 'c', threads: 1 });
    const x = Float32Array.from({ length: 60 }, (_, i) => (i % 3 === 2 ? 0.094 : -0.07));
    const slope = new Float32Array(60).fill(0.5);
    const out = new Float32Array(60);
    kernel.run([x, slope, out]);
    expect([...out]).toEqual([...x].map((v) => (v < 0 ? Math.fround(0.5 * v) : v)));
    kernel.dispose();
  });
});
