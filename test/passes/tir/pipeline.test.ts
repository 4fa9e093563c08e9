import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, buffer, floatImm, ge, intImm, load, lt, mul, select, variable } from '../../../src/ir/expr.js';
import { allocate, attr, forLoop, ifThenElse, primFunc, seq, store } from '../../../src/tir/stmt.js';
import type { PrimFunc } from '../../../src/tir/stmt.js';
import { printFunc } from '../../../src/tir/print.js';
import { PassConfigError, definePass, makePassContext, runPipeline } from '../../../src/passes/pass.js';
import { optimizeTir, tirPipeline } from '../../../src/passes/tir/pipeline.js';
import { runBoth } from './interp.js';

/**
 * C[m, 8] = A[m, 4] · B[4, 8] as lowering emits it: rows split by 4 with a guard for m % 4, the
 * reduction k unrolled, the columns j vectorized.
 */
function gemm(m: number): PrimFunc {
  const A = buffer('A', 'float32', [m, 4]);
  const B = buffer('B', 'float32', [4, 8]);
  const C = buffer('C', 'float32', [m, 8]);
  const [io, ii, k, j] = [variable('io'), variable('ii'), variable('k'), variable('j')];
  const row = add(mul(io, 4), ii);
  const init = forLoop(j, intImm(0), intImm(8), store(C, [row, j], floatImm(0)), 'vectorized');
  const update = store(C, [row, j], add(load(C, [row, j]), mul(load(A, [row, k]), load(B, [k, j]))));
  const reduce = forLoop(k, intImm(0), intImm(4), forLoop(j, intImm(0), intImm(8), update, 'vectorized'), 'unrolled');
  const tile = forLoop(ii, intImm(0), intImm(4), ifThenElse(lt(row, m), seq(init, reduce)));
  return primFunc('gemm', [A, B, C], forLoop(io, intImm(0), intImm(Math.ceil(m / 4)), tile));
}

/** A loop that stages 4 elements of A per iteration through a double-buffered local. */
function staged(): PrimFunc {
  const A = buffer('A', 'float32', [6, 4]);
  const C = buffer('C', 'float32', [6]);
  const S = buffer('S', 'float32', [4], 'local');
  const [k, x] = [variable('k'), variable('x')];
  const fill = attr('double_buffer', S, [], forLoop(x, intImm(0), intImm(4), store(S, [x], load(A, [k, x]))));
  const use = forLoop(x, intImm(0), intImm(4), store(C, [k], add(load(C, [k]), load(S, [x]))));
  return primFunc('staged', [A, C], allocate(S, forLoop(k, intImm(0), intImm(6), seq(fill, use))));
}

/** Row tiles of 8 with columns vectorized and an if on the column: masked stores and selects. */
function masked(): PrimFunc {
  const A = buffer('A', 'float32', [3, 8]);
  const B = buffer('B', 'float32', [3, 8]);
  const [i, j] = [variable('i'), variable('j')];
  const pick = select(ge(j, 2), load(A, [i, j]), floatImm(3));
  const body = ifThenElse(lt(j, 5), store(B, [i, j], pick), store(B, [i, j], floatImm(-1)));
  return primFunc('masked', [A, B], forLoop(i, intImm(0), intImm(3), forLoop(j, intImm(0), intImm(8), body, 'vectorized')));
}

describe('tirPipeline', () => {
  it('turns a guarded, unrolled, vectorized GEMM into branch-free vector code', () => {
    // Rule: the full row tile loses its guard (partition), k is copied out (unroll), j becomes
    // ramps (vectorize), indices are flat and simplified; the 2-row remainder is its own loop.
    const out = printFunc(optimizeTir(gemm(6), makePassContext()));
    expect(out).toBe(
      [
        'func gemm(A: float32[24], B: float32[32], C: float32[48]) {',
        '  for (ii, 0, 4) {',
        '    C[ramp(ii * 8, 1, 8)] = x8(0.0f)',
        '    C[ramp(ii * 8, 1, 8)] = C[ramp(ii * 8, 1, 8)] + x8(A[ii * 4]) * B[ramp(0, 1, 8)]',
        '    C[ramp(ii * 8, 1, 8)] = C[ramp(ii * 8, 1, 8)] + x8(A[ii * 4 + 1]) * B[ramp(8, 1, 8)]',
        '    C[ramp(ii * 8, 1, 8)] = C[ramp(ii * 8, 1, 8)] + x8(A[ii * 4 + 2]) * B[ramp(16, 1, 8)]',
        '    C[ramp(ii * 8, 1, 8)] = C[ramp(ii * 8, 1, 8)] + x8(A[ii * 4 + 3]) * B[ramp(24, 1, 8)]',
        '  }',
        '  for (ii, 0, 2) {',
        '    C[ramp(ii * 8 + 32, 1, 8)] = x8(0.0f)',
        '    C[ramp(ii * 8 + 32, 1, 8)] = C[ramp(ii * 8 + 32, 1, 8)] + x8(A[ii * 4 + 16]) * B[ramp(0, 1, 8)]',
        '    C[ramp(ii * 8 + 32, 1, 8)] = C[ramp(ii * 8 + 32, 1, 8)] + x8(A[ii * 4 + 17]) * B[ramp(8, 1, 8)]',
        '    C[ramp(ii * 8 + 32, 1, 8)] = C[ramp(ii * 8 + 32, 1, 8)] + x8(A[ii * 4 + 18]) * B[ramp(16, 1, 8)]',
        '    C[ramp(ii * 8 + 32, 1, 8)] = C[ramp(ii * 8 + 32, 1, 8)] + x8(A[ii * 4 + 19]) * B[ramp(24, 1, 8)]',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('computes what the lowered function computes, with and without bounds checks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.boolean(), fc.integer(), (m, checked, seed) => {
        for (const before of [gemm(m), staged(), masked()]) {
          const after = optimizeTir(before, makePassContext({ boundsCheck: checked }));
          const [a, b] = runBoth(before, after, seed);
          expect(b).toEqual(a);
        }
      }),
      { numRuns: 10 },
    );
  });

  it('vectorizes an if on the vector variable into masked stores', () => {
    // Rule: every lane of A and B is in bounds, so the guard becomes selects on both stores.
    const out = printFunc(optimizeTir(masked(), makePassContext()));
    expect(out).toContain('B[ramp(i * 8, 1, 8)] = select(ramp(0, 1, 8) >= x8(5), x8(-1.0f), B[ramp(i * 8, 1, 8)])');
  });

  it('dumps the IR after each pass that runs, and skips disabled passes', () => {
    const seen: string[] = [];
    const ctx = makePassContext({ disabled: ['tir.vectorize', 'tir.boundsCheck'] }, (name, ir) => {
      seen.push(name);
      expect(ir.startsWith('func gemm(')).toBe(true);
    });
    const out = printFunc(optimizeTir(gemm(6), ctx));
    const expected = tirPipeline.map((p) => p.name).filter((n) => n !== 'tir.vectorize' && n !== 'tir.boundsCheck');
    expect(seen).toEqual(expected);
    expect(out).toContain('vectorized (j, 0, 8) {');
    expect(out).not.toContain('ramp');
  });
});

describe('pass infrastructure', () => {
  it('rejects malformed pass names and config values', () => {
    expect(() => definePass<number>({ name: 'no dots', run: (x) => x })).toThrow(PassConfigError);
    expect(() => makePassContext({ unrollMaxIterations: -1 })).toThrow('unrollMaxIterations must be a non-negative integer, got -1');
  });

  it('runs passes in order and prints only when asked to dump', () => {
    const double = definePass<number>({ name: 'num.double', run: (x) => x * 2 });
    const inc = definePass<number>({ name: 'num.inc', run: (x) => x + 1 });
    let prints = 0;
    const print = (x: number): string => {
      prints++;
      return String(x);
    };
    expect(runPipeline([double, inc], 5, makePassContext(), print)).toBe(11);
    expect(prints).toBe(0);
    const dumps: string[] = [];
    expect(runPipeline([double, inc], 5, makePassContext({ disabled: ['num.double'] }, (n, ir) => dumps.push(`${n}=${ir}`)), print)).toBe(6);
    expect(dumps).toEqual(['num.inc=6']);
  });
});
