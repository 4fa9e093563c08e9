import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, buffer, intImm, load, mul, variable } from '../../../src/ir/expr.js';
import { forLoop, primFunc, store } from '../../../src/tir/stmt.js';
import type { Stmt } from '../../../src/tir/stmt.js';
import { printFunc } from '../../../src/tir/print.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { unroll } from '../../../src/passes/tir/unroll.js';
import { runBoth } from './interp.js';

const A = buffer('A', 'float32', [16]);
const C = buffer('C', 'float32', [4]);
const i = variable('i');
const k = variable('k');

/** C[i] += A[i*4 + k] with k unrolled (extent `kExtent`) inside a serial i loop. */
function rowSums(kExtent: number, iMin = 0): Stmt {
  const acc = store(C, [i], add(load(C, [i]), load(A, [add(mul(i, 4), k)])));
  return forLoop(i, intImm(iMin), intImm(4 - iMin), forLoop(k, intImm(0), intImm(kExtent), acc, 'unrolled'));
}

describe('tir.unroll', () => {
  it('copies the body once per iteration with the variable replaced', () => {
    // Rule: unrolled (k, 0, 2) { S(k) } → S(0); S(1).
    const f = primFunc('k', [A, C], rowSums(2));
    expect(printFunc(unroll.run(f, makePassContext()))).toBe(
      [
        'func k(A: float32[16], C: float32[4]) {',
        '  for (i, 0, 4) {',
        '    C[i] = C[i] + A[i * 4 + 0]',
        '    C[i] = C[i] + A[i * 4 + 1]',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('offsets copies by a symbolic loop minimum', () => {
    // Rule: unrolled (k, i, 2) { S(k) } → S(i); S(i + 1).
    const f = primFunc('k', [A, C], forLoop(i, intImm(0), intImm(3), forLoop(k, i, intImm(2), store(C, [k], load(A, [k])), 'unrolled')));
    expect(printFunc(unroll.run(f, makePassContext()))).toContain('    C[i] = A[i]\n    C[i + 1] = A[i + 1]\n');
  });

  it('makes loops beyond the iteration or statement budget serial', () => {
    // Rule: more than unrollMaxIterations iterations, or more copies than unrollMaxStmts → serial.
    const f = primFunc('k', [A, C], rowSums(4));
    const byIterations = printFunc(unroll.run(f, makePassContext({ unrollMaxIterations: 3 })));
    const byStmts = printFunc(unroll.run(f, makePassContext({ unrollMaxStmts: 3 })));
    for (const out of [byIterations, byStmts]) expect(out).toContain('    for (k, 0, 4) {\n      C[i] = C[i] + A[i * 4 + k]\n');
  });

  it('computes the same buffers as the loop', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3 }), fc.integer(), (extent, iMin, seed) => {
        const before = primFunc('k', [A, C], rowSums(extent, iMin));
        const after = unroll.run(before, makePassContext());
        expect(printFunc(after)).not.toContain('unrolled');
        const [a, b] = runBoth(before, after, seed);
        expect(b).toEqual(a);
      }),
      { numRuns: 30 },
    );
  });
});
