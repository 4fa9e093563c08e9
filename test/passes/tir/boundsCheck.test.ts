import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, broadcast, buffer, floatImm, ge, intImm, letExpr, load, mul, ramp, select, sub, variable } from '../../../src/ir/expr.js';
import { forLoop, primFunc, store } from '../../../src/tir/stmt.js';
import { printFunc } from '../../../src/tir/print.js';
import { verifyFunc } from '../../../src/tir/verify.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { boundsCheck } from '../../../src/passes/tir/boundsCheck.js';
import { TirPassError } from '../../../src/passes/tir/common.js';
import { InterpAssert, randomArgs, runBoth, runFunc } from './interp.js';

const on = makePassContext({ boundsCheck: true });
const A = buffer('A', 'float32', [16]);
const B = buffer('B', 'float32', [16]);
const i = variable('i');

/** B[i] = A[i + shift] for i in [0, n). */
const shifted = (shift: number, n = 16) => primFunc('shift', [A, B], forLoop(i, intImm(0), intImm(n), store(B, [i], load(A, [add(i, shift)]))));

describe('tir.boundsCheck', () => {
  it('does nothing unless the config asks for it', () => {
    const f = shifted(1);
    expect(boundsCheck.run(f, makePassContext())).toBe(f);
  });

  it('wraps each access in an assert naming the buffer and index by generated identifiers', () => {
    // Rule: loads first, then the store; the message uses safeIdent names only.
    const out = printFunc(boundsCheck.run(shifted(1), on));
    const a = `A_${A.id}[i_${i.id} + 1]`;
    const b = `B_${B.id}[i_${i.id}]`;
    expect(out).toBe(
      [
        'func shift(A: float32[16], B: float32[16]) {',
        '  for (i, 0, 16) {',
        `    assert(i + 1 >= 0 && i + 1 < 16, "${a} is out of bounds [0, 16)")`,
        `    assert(i >= 0 && i < 16, "${b} is out of bounds [0, 16)")`,
        '    B[i] = A[i + 1]',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('stops an out-of-bounds access with the assert', () => {
    const f = boundsCheck.run(shifted(1), on);
    expect(() => runFunc(f, randomArgs(f, 1))).toThrow(InterpAssert);
    expect(() => runFunc(f, randomArgs(f, 1))).toThrow(`A_${A.id}[i_${i.id} + 1] is out of bounds [0, 16)`);
  });

  it('checks a load under a scalar select only where the select takes it', () => {
    // Rule: select(c, A[i - 1], 0) reads A only when c holds: assert(!c || in bounds).
    const padded = primFunc('pad', [A, B], forLoop(i, intImm(0), intImm(16), store(B, [i], select(ge(i, 1), load(A, [sub(i, 1)]), floatImm(0)))));
    const f = boundsCheck.run(padded, on);
    expect(printFunc(f)).toContain('assert(!(i >= 1) || i - 1 >= 0 && i - 1 < 16,');
    const [a, b] = runBoth(padded, f, 7);
    expect(b).toEqual(a);
  });

  it('checks a load inside a let expression with the let value substituted', () => {
    // Rule: the assert lives outside the expression, so (let y = i + 1 in A[y]) checks A[i + 1].
    const y = variable('y');
    const f = primFunc('let', [A, B], forLoop(i, intImm(0), intImm(15), store(B, [i], letExpr(y, add(i, 1), load(A, [y])))));
    const out = boundsCheck.run(f, on);
    expect(printFunc(out)).toContain('assert(i + 1 >= 0 && i + 1 < 16,');
    verifyFunc(out);
  });

  it('checks the first and last lane of a ramp', () => {
    // Rule: ramp(b, s, n) touches [b, b + (n-1)·s]; a broadcast index touches its value.
    const v = primFunc('vec', [A, B], forLoop(i, intImm(0), intImm(4), store(B, [ramp(mul(i, 4), 1, 4)], load(A, [broadcast(i, 4)]))));
    const out = printFunc(boundsCheck.run(v, on));
    expect(out).toContain('assert(i >= 0 && i < 16,');
    expect(out).toContain('assert(i * 4 >= 0 && i * 4 + 3 < 16,');
  });

  it('refuses a gather index and unflattened buffers with a TirPassError', () => {
    const gather = primFunc('g', [A, B], store(B, [intImm(0)], load(A, [intImm(0)])));
    const bad = { ...gather, body: store(B, [mul(ramp(intImm(0), 1, 4), broadcast(intImm(2), 4))], broadcast(floatImm(0), 4)) };
    expect(() => boundsCheck.run(bad, on)).toThrow(TirPassError);
    const M = buffer('M', 'float32', [4, 4]);
    expect(() => boundsCheck.run(primFunc('m', [M], store(M, [intImm(0), intImm(0)], floatImm(0))), on)).toThrow('tir.boundsCheck on m: buffer M is not flat');
  });

  it('does not change what an in-bounds function computes', () => {
    fc.assert(
      fc.property(fc.integer({ min: -3, max: 3 }), fc.integer(), (shift, seed) => {
        const before = shifted(shift, 16 - Math.abs(shift));
        const fixed = shift < 0 ? { ...before, body: forLoop(i, intImm(-shift), intImm(16 + shift), store(B, [i], load(A, [add(i, shift)]))) } : before;
        const [a, b] = runBoth(fixed, boundsCheck.run(fixed, on), seed);
        expect(b).toEqual(a);
      }),
      { numRuns: 20 },
    );
  });
});
