import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, buffer, floatImm, intImm, load, lt, variable } from '../../../src/ir/expr.js';
import { NOOP, allocate, attr, forLoop, ifThenElse, letStmt, primFunc, seq, store } from '../../../src/tir/stmt.js';
import type { Stmt } from '../../../src/tir/stmt.js';
import { printFunc } from '../../../src/tir/print.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { removeNoOp } from '../../../src/passes/tir/removeNoOp.js';
import { runBoth } from './interp.js';

const ctx = makePassContext();
const A = buffer('A', 'float32', [8]);
const B = buffer('B', 'float32', [8]);
const i = variable('i');
const func = (body: Stmt) => primFunc('k', [A, B], body);
const run = (body: Stmt) => printFunc(removeNoOp.run(func(body), ctx));

describe('tir.removeNoOp', () => {
  it('drops self-stores, empty loops, zero-extent loops and unread allocations', () => {
    // Rule: B[i] = B[i] does nothing; a loop with no effect goes; a local never read is dead.
    const T = buffer('T', 'float32', [8], 'local');
    const body = seq(
      allocate(T, forLoop(i, intImm(0), intImm(8), seq(store(T, [i], load(A, [i])), store(B, [i], load(B, [i]))))),
      forLoop(i, intImm(0), intImm(0), store(B, [i], floatImm(1))),
    );
    expect(run(body)).toBe('func k(A: float32[8], B: float32[8]) {\n  noop\n}\n');
  });

  it('keeps stores to a different location and allocations that are read', () => {
    // Rule: B[i] = B[i + 1] moves data; T is read, so it stays.
    const T = buffer('T', 'float32', [1], 'local');
    const body = forLoop(i, intImm(0), intImm(7), allocate(T, seq(store(T, [intImm(0)], load(B, [add(i, 1)])), store(B, [i], load(T, [intImm(0)])))));
    expect(run(body)).toBe(printFunc(func(body)));
  });

  it('turns an if with an empty then-branch into its negation and drops empty ifs, attrs and lets', () => {
    // Rule: if (c) {} else {S} → if (!c) {S}; if (c) {} → nothing; an unused let disappears.
    const v = variable('v');
    const body = forLoop(
      i,
      intImm(0),
      intImm(8),
      seq(
        ifThenElse(lt(i, 4), NOOP, store(B, [i], floatImm(2))),
        ifThenElse(lt(i, 2), NOOP),
        attr('pragma_unroll', null, [], NOOP),
        letStmt(v, add(i, 1), store(A, [i], floatImm(3))),
      ),
    );
    expect(run(body)).toBe(
      [
        'func k(A: float32[8], B: float32[8]) {',
        '  for (i, 0, 8) {',
        '    if (!(i < 4)) {',
        '      B[i] = 2.0f',
        '    }',
        '    A[i] = 3.0f',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('computes the same buffers as before', () => {
    const T = buffer('T', 'float32', [8], 'local');
    const before = func(
      seq(
        allocate(T, forLoop(i, intImm(0), intImm(8), store(T, [i], load(A, [i])))),
        forLoop(i, intImm(0), intImm(8), seq(store(B, [i], load(B, [i])), ifThenElse(lt(i, 3), NOOP, store(B, [i], add(load(A, [i]), floatImm(1)))))),
      ),
    );
    const after = removeNoOp.run(before, ctx);
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const [a, b] = runBoth(before, after, seed);
        expect(b).toEqual(a);
      }),
      { numRuns: 20 },
    );
  });
});
