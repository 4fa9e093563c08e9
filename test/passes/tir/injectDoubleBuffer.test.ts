import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, buffer, intImm, load, mul, variable } from '../../../src/ir/expr.js';
import { allocate, attr, forLoop, primFunc, seq, store } from '../../../src/tir/stmt.js';
import type { PrimFunc } from '../../../src/tir/stmt.js';
import { printFunc } from '../../../src/tir/print.js';
import { verifyFunc } from '../../../src/tir/verify.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { injectDoubleBuffer } from '../../../src/passes/tir/injectDoubleBuffer.js';
import { runBoth } from './interp.js';

const ctx = makePassContext();

/**
 * for k in [kMin, kMin + kExtent): S[x] = A[k*4 + x] (the fill, under the attr); C[k] = Σ_x S[x]·W[x].
 * `inside` puts the allocation of S inside the k loop, as lowering does for a stage attached at k.
 */
function pipelined(kMin: number, kExtent: number, inside: boolean, fillFromC = false): PrimFunc {
  const A = buffer('A', 'float32', [24]);
  const C = buffer('C', 'float32', [24]);
  const Wb = buffer('W', 'float32', [4]);
  const S = buffer('S', 'float32', [4], 'local');
  const k = variable('k');
  const x = variable('x');
  const fill = attr('double_buffer', S, [], forLoop(x, intImm(0), intImm(4), store(S, [x], load(fillFromC ? C : A, [add(mul(k, 4), x)]))));
  const consume = forLoop(x, intImm(0), intImm(4), store(C, [k], add(load(C, [k]), mul(load(S, [x]), load(Wb, [x])))));
  const body = inside ? allocate(S, seq(fill, consume)) : seq(fill, consume);
  const loop = forLoop(k, intImm(kMin), intImm(kExtent), body);
  return primFunc('dot', [A, Wb, C], inside ? loop : allocate(S, loop));
}

describe('tir.injectDoubleBuffer', () => {
  it('fills half 0 before the loop and the next half inside it', () => {
    // Rule: fill(k) in the loop → fill(min) before it, then fill(k+1) into floormod(k+1, 2) while
    // the consumers read floormod(k, 2); S gets a leading dimension of 2; the attr is gone.
    const after = injectDoubleBuffer.run(pipelined(0, 6, false), ctx);
    expect(printFunc(after)).toBe(
      [
        'func dot(A: float32[24], W: float32[4], C: float32[24]) {',
        '  allocate S: float32[2, 4] local',
        '  for (x, 0, 4) {',
        '    S[0, x] = A[0 * 4 + x]',
        '  }',
        '  for (k, 0, 6) {',
        '    if (k + 1 < 0 + 6) {',
        '      for (x, 0, 4) {',
        '        S[floormod(k + 1, 2), x] = A[(k + 1) * 4 + x]',
        '      }',
        '    }',
        '    for (x, 0, 4) {',
        '      C[k] = C[k] + S[floormod(k, 2), x] * W[x]',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    verifyFunc(after);
  });

  it('hoists an allocation made inside the loop and rotates relative to the loop minimum', () => {
    // Rule: allocate S inside for k → allocate S[2, …] outside; halves are floormod(k - min, 2).
    const out = printFunc(injectDoubleBuffer.run(pipelined(2, 4, true), ctx));
    expect(out).toContain('  allocate S: float32[2, 4] local\n  for (x, 0, 4) {\n    S[0, x] = A[2 * 4 + x]\n');
    expect(out).toContain('S[floormod(k - 2 + 1, 2), x] = A[(k + 1) * 4 + x]');
    expect(out).toContain('S[floormod(k - 2, 2), x] * W[x]');
  });

  it('only drops the attr when the fill reads what the loop writes', () => {
    // Rule: the fill reads C, which the loop writes, so rotating could read it too early; the loop is kept as is, minus the attr.
    const before = pipelined(0, 6, false, true);
    const out = printFunc(injectDoubleBuffer.run(before, ctx));
    expect(out).not.toContain('double_buffer');
    expect(out).toContain('allocate S: float32[4] local');
  });

  it('computes the same buffers as the single-buffered loop', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 4 }), fc.boolean(), fc.integer(), (kMin, kExtent, inside, seed) => {
        const before = pipelined(kMin, kExtent, inside);
        const after = injectDoubleBuffer.run(before, ctx);
        verifyFunc(after);
        const [a, b] = runBoth(before, after, seed);
        expect(b).toEqual(a);
      }),
      { numRuns: 40 },
    );
  });
});
