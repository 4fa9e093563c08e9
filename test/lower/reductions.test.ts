/**
 * Reductions beyond the plain sum: a `where` condition, a reduce axis that does not start at 0, a
 * max (identity -inf), a reduction to a scalar split and rfactored for a parallel partial sum,
 * and a schedule with two outputs.
 */

import { describe, expect, it } from 'vitest';
import { add, compute, le, mul, placeholder, reduceAxis, reduceMax, sum } from '../../src/te/index.js';
import { createSchedule } from '../../src/schedule/index.js';
import { lower } from '../../src/lower/index.js';
import { printFunc } from '../../src/tir/print.js';
import { expectSameResults } from './reference.js';

function lines(f: Parameters<typeof printFunc>[0]): string[] {
  return printFunc(f).trimEnd().split('\n');
}

describe('reductions', () => {
  it('a where condition guards the update, not the init', () => {
    const A = placeholder([4, 4], 'float32', 'A');
    const k = reduceAxis(4, 'k');
    const C = compute([4], (i) => sum(A.at(i, k.var), [k], le(k.var, i)), 'C');
    const s = createSchedule([C]);
    expect(lines(lower(s, [A, C], 'tri'))).toEqual([
      'func tri(A: float32[4, 4], C: float32[4]) {',
      '  for (i, 0, 4) {',
      '    C[i] = 0.0f',
      '    for (k, 0, 4) {',
      '      if (k <= i) {',
      '        C[i] = C[i] + A[i, k]',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
  });

  it('a reduce axis starting at 1, split, and a max with identity -inf', () => {
    const A = placeholder([3, 8], 'float32', 'A');
    const r = reduceAxis(7, 'r', 1);
    const C = compute([3], (i) => reduceMax(A.at(i, r.var), [r]), 'C');
    const s = createSchedule([C]);
    const c = s.stage(C);
    c.split(r, { factor: 4 });
    const f = lower(s, [A, C], 'mx');
    expect(lines(f)).toEqual([
      'func mx(A: float32[3, 8], C: float32[3]) {',
      '  for (i, 0, 3) {',
      '    C[i] = -inf',
      '    for (r.outer, 0, 2) {',
      '      for (r.inner, 0, 4) {',
      '        if (r.outer * 4 + r.inner < 7) {',
      '          C[i] = max(C[i], A[i, r.outer * 4 + r.inner + 1])',
      '        }',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([C]), [A, C], 'ref'), f);
  });

  it('a full sum to a scalar, rfactored into parallel partial sums', () => {
    const A = placeholder([100], 'float32', 'A');
    const k = reduceAxis(100, 'k');
    const S = compute([], () => sum(A.at(k.var), [k]), 'S');
    const s = createSchedule([S]);
    const st = s.stage(S);
    const [ko, ki] = st.split(k, { nparts: 4 });
    const SF = s.rfactor(S, ko);
    s.stage(SF).parallel(s.stage(SF).axis[0]);
    const f = lower(s, [A, S], 'total');
    expect(lines(f)).toEqual([
      'func total(A: float32[100], S: float32[]) {',
      '  allocate S.rf: float32[4] global',
      '  parallel (k.outer, 0, 4) {',
      '    S.rf[k.outer] = 0.0f',
      '    for (k.inner, 0, 25) {',
      '      S.rf[k.outer] = S.rf[k.outer] + A[k.outer * 25 + k.inner]',
      '    }',
      '  }',
      '  S[] = 0.0f',
      '  for (k.outer, 0, 4) {',
      '    S[] = S[] + S.rf[k.outer]',
      '  }',
      '}',
    ]);
    expect(ki.extent).toBe(25);
    expectSameResults(lower(createSchedule([S]), [A, S], 'ref'), f, 3, 1e-5);
  });

  it('two outputs share a producer computed at the root', () => {
    const A = placeholder([6], 'float32', 'A');
    const P = compute([6], (i) => mul(A.at(i), 3), 'P');
    const C = compute([6], (i) => add(P.at(i), 1), 'C');
    const D = compute([6], (i) => mul(P.at(i), P.at(i)), 'D');
    const s = createSchedule([C, D]);
    const f = lower(s, [A, C, D], 'two');
    expect(lines(f)).toEqual([
      'func two(A: float32[6], C: float32[6], D: float32[6]) {',
      '  allocate P: float32[6] global',
      '  for (i, 0, 6) {',
      '    P[i] = A[i] * 3.0f',
      '  }',
      '  for (i, 0, 6) {',
      '    C[i] = P[i] + 1.0f',
      '  }',
      '  for (i, 0, 6) {',
      '    D[i] = P[i] * P[i]',
      '  }',
      '}',
    ]);
    s.stage(P).computeInline();
    expectSameResults(f, lower(s, [A, C, D], 'two'));
  });
});
