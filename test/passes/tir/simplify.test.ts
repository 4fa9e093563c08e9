import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, buffer, floatImm, floordiv, intImm, load, lt, mul, sub, variable } from '../../../src/ir/expr.js';
import { assertStmt, forLoop, ifThenElse, letStmt, primFunc, store } from '../../../src/tir/stmt.js';
import { printFunc } from '../../../src/tir/print.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { simplify } from '../../../src/passes/tir/simplify.js';
import { runBoth } from './interp.js';

const ctx = makePassContext();
const A = buffer('A', 'float32', [4]);
const B = buffer('B', 'float32', [32]);
const io = variable('io');
const ii = variable('ii');
const k = variable('k');

/** for io, ii in [0, n/8) × [0, 8): for k in [0, kExt) { if (io*8 + ii < n) B[io*8 + ii + k*0] = A[(io*8+ii) / 8] } */
function tiled(n: number, kExt = 1) {
  const x = add(mul(io, 8), ii);
  const inner = ifThenElse(lt(x, n), store(B, [add(x, mul(k, 0))], load(A, [floordiv(x, 8)])));
  return primFunc('tiled', [A, B], forLoop(io, intImm(0), intImm(4), forLoop(ii, intImm(0), intImm(8), forLoop(k, intImm(0), intImm(kExt), inner))));
}

describe('tir.simplify', () => {
  it('simplifies indices with loop ranges, drops a provable guard and an extent-1 loop', () => {
    // Rule: io∈[0,3], ii∈[0,7] ⇒ io*8+ii < 32 holds and floordiv(io*8+ii, 8) = io; k∈[0,1) ⇒ k := 0.
    expect(printFunc(simplify.run(tiled(32), ctx))).toBe(
      [
        'func tiled(A: float32[4], B: float32[32]) {',
        '  for (io, 0, 4) {',
        '    for (ii, 0, 8) {',
        '      B[io * 8 + ii] = A[io]',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('keeps a guard it cannot decide and removes loops of extent 0', () => {
    // Rule: io*8+ii < 30 is true for some points only; for (k, 0, 0) never runs.
    const out = printFunc(simplify.run(tiled(30), ctx));
    expect(out).toContain('if (io * 8 + ii < 30) {');
    expect(printFunc(simplify.run(tiled(32, 0), ctx))).toBe('func tiled(A: float32[4], B: float32[32]) {\n  for (io, 0, 4) {\n    for (ii, 0, 8) {\n      noop\n    }\n  }\n}\n');
  });

  it('takes the else branch of a provably false if and drops a provable assert', () => {
    // Rule: io < 0 is false on [0, 4); assert(io < 4) holds there.
    const body = forLoop(
      io,
      intImm(0),
      intImm(4),
      assertStmt(lt(io, 4), 'never', ifThenElse(lt(io, 0), store(A, [io], floatImm(1)), store(A, [io], floatImm(2)))),
    );
    expect(printFunc(simplify.run(primFunc('f', [A, B], body), ctx))).toBe('func f(A: float32[4], B: float32[32]) {\n  for (io, 0, 4) {\n    A[io] = 2.0f\n  }\n}\n');
  });

  it('uses the range of a let-bound variable', () => {
    // Rule: let x = io + 1 with io∈[0,3] gives x∈[1,4], so x - 1 < 4 holds.
    const x = variable('x');
    const body = forLoop(io, intImm(0), intImm(4), letStmt(x, add(io, 1), ifThenElse(lt(sub(x, 1), 4), store(A, [sub(x, 1)], floatImm(1)))));
    expect(printFunc(simplify.run(primFunc('f', [A, B], body), ctx))).toContain('  let x = io + 1\n    A[x - 1] = 1.0f\n');
  });

  it('simplifies each branch of an if knowing whether its condition holds', () => {
    // Rule: then-branch io∈[0,1] ⇒ floordiv(io, 2) = 0; else-branch io∈[2,3] ⇒ floordiv(io, 2) = 1.
    const pick = ifThenElse(lt(io, 2), store(A, [io], load(B, [floordiv(io, 2)])), store(A, [io], load(B, [add(floordiv(io, 2), 8)])));
    const before = primFunc('f', [A, B], forLoop(io, intImm(0), intImm(4), pick));
    const after = simplify.run(before, ctx);
    const out = printFunc(after);
    expect(out).toContain('A[io] = B[0]');
    expect(out).toContain('A[io] = B[9]');
    const [a, b] = runBoth(before, after, 7);
    expect(b).toEqual(a);
  });

  it('computes the same buffers as before', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 2 }), fc.integer(), (n, kExt, seed) => {
        const before = tiled(n, kExt);
        const [a, b] = runBoth(before, simplify.run(before, ctx), seed);
        expect(b).toEqual(a);
      }),
      { numRuns: 30 },
    );
  });
});
