/**
 * Bound inference: the region a stage computed inside another must produce (the union of what
 * its readers read during one iteration of the attach loop), the size of its buffer, and the
 * guards where regions overhang. Each case checks the printed function and its numbers.
 */

import { describe, expect, it } from 'vitest';
import { add, compute, floordiv, mul, placeholder, reduceAxis, sum } from '../../src/te/index.js';
import { createSchedule } from '../../src/schedule/index.js';
import { lower } from '../../src/lower/index.js';
import { printFunc } from '../../src/tir/print.js';
import type { PrimFunc } from '../../src/tir/stmt.js';
import { stencil } from './programs.js';
import { expectSameResults } from './reference.js';

function expectTir(f: PrimFunc, lines: readonly string[]): void {
  expect(printFunc(f).trimEnd().split('\n')).toEqual(lines);
}

describe('bound inference', () => {
  it('a producer computed inside a tiled consumer covers the tile plus the stencil halo', () => {
    const p = stencil(16);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    const [, jo] = c.tile(c.axis[0], c.axis[1], 8, 8);
    s.stage(p.B).computeAt(c, jo);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[18, 18], C: float32[16, 16]) {',
      '  for (i.outer, 0, 2) {',
      '    for (j.outer, 0, 2) {',
      '      allocate B: float32[10, 10] global',
      '      for (i, 0, 10) {',
      '        for (j, 0, 10) {',
      '          B[i, j] = A[i + i.outer * 8, j + j.outer * 8] + 1.0f',
      '        }',
      '      }',
      '      for (i.inner, 0, 8) {',
      '        for (j.inner, 0, 8) {',
      '          C[i.outer * 8 + i.inner, j.outer * 8 + j.inner] = 0.0f',
      '          for (ry, 0, 3) {',
      '            for (rx, 0, 3) {',
      '              C[i.outer * 8 + i.inner, j.outer * 8 + j.inner] = C[i.outer * 8 + i.inner, j.outer * 8 + j.inner] + B[ry + i.inner, rx + j.inner]',
      '            }',
      '          }',
      '        }',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('where the consumer tiles overhang, the producer is guarded by its own domain', () => {
    const p = stencil(14);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    const [, jo] = c.tile(c.axis[0], c.axis[1], 8, 8);
    s.stage(p.B).computeAt(c, jo);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[16, 16], C: float32[14, 14]) {',
      '  for (i.outer, 0, 2) {',
      '    for (j.outer, 0, 2) {',
      '      allocate B: float32[10, 10] global',
      '      for (i, 0, 10) {',
      '        if (i + i.outer * 8 < 16) {',
      '          for (j, 0, 10) {',
      '            if (j + j.outer * 8 < 16) {',
      '              B[i, j] = A[i + i.outer * 8, j + j.outer * 8] + 1.0f',
      '            }',
      '          }',
      '        }',
      '      }',
      '      for (i.inner, 0, 8) {',
      '        if (i.outer * 8 + i.inner < 14) {',
      '          for (j.inner, 0, 8) {',
      '            if (j.outer * 8 + j.inner < 14) {',
      '              C[i.outer * 8 + i.inner, j.outer * 8 + j.inner] = 0.0f',
      '              for (ry, 0, 3) {',
      '                for (rx, 0, 3) {',
      '                  C[i.outer * 8 + i.inner, j.outer * 8 + j.inner] = C[i.outer * 8 + i.inner, j.outer * 8 + j.inner] + B[ry + i.inner, rx + j.inner]',
      '                }',
      '              }',
      '            }',
      '          }',
      '        }',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('a producer computed inside a reduction loop covers one slice of the reduction', () => {
    const p = stencil(8);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    s.stage(p.B).computeAt(c, c.reduceAxis[0]);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[10, 10], C: float32[8, 8]) {',
      '  for (i, 0, 8) {',
      '    for (j, 0, 8) {',
      '      C[i, j] = 0.0f',
      '      for (ry, 0, 3) {',
      '        allocate B: float32[1, 3] global',
      '        for (j_1, 0, 3) {',
      '          B[0, j_1] = A[ry + i, j + j_1] + 1.0f',
      '        }',
      '        for (rx, 0, 3) {',
      '          C[i, j] = C[i, j] + B[0, rx]',
      '        }',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('the region is the union over all readers and all reads', () => {
    const A = placeholder([12], 'float32', 'A');
    const P = compute([12], (i) => add(A.at(i), 1), 'P');
    const Q = compute([10], (i) => mul(P.at(add(i, 1)), 2), 'Q');
    const D = compute([10], (i) => add(P.at(i), Q.at(i)), 'D');
    const s = createSchedule([D]);
    const d = s.stage(D);
    const [io] = d.split(d.axis[0], { factor: 4 });
    s.stage(P).computeAt(d, io);
    s.stage(Q).computeAt(d, io);
    const p = { out: D, args: [A, D] };
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[12], D: float32[10]) {',
      '  for (i.outer, 0, 3) {',
      '    allocate P: float32[5] global',
      '    allocate Q: float32[4] global',
      '    for (i, 0, 5) {',
      '      if (i + i.outer * 4 < 12) {',
      '        P[i] = A[i + i.outer * 4] + 1.0f',
      '      }',
      '    }',
      '    for (i, 0, 4) {',
      '      if (i + i.outer * 4 < 10) {',
      '        Q[i] = P[i + 1] * 2.0f',
      '      }',
      '    }',
      '    for (i.inner, 0, 4) {',
      '      if (i.outer * 4 + i.inner < 10) {',
      '        D[i.outer * 4 + i.inner] = P[i.inner] + Q[i.inner]',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('a chain of computeAt stages nests', () => {
    const A = placeholder([8, 8], 'float32', 'A');
    const P = compute([8, 8], (i, j) => add(A.at(i, j), 1), 'P');
    const Q = compute([8, 8], (i, j) => mul(P.at(i, j), 2), 'Q');
    const D = compute([8, 8], (i, j) => add(Q.at(i, j), 3), 'D');
    const s = createSchedule([D]);
    const d = s.stage(D);
    const [io] = d.split(d.axis[0], { factor: 4 });
    s.stage(Q).computeAt(d, io);
    const q = s.stage(Q);
    s.stage(P).computeAt(q, q.axis[0]);
    const p = { out: D, args: [A, D] };
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[8, 8], D: float32[8, 8]) {',
      '  for (i.outer, 0, 2) {',
      '    allocate Q: float32[4, 8] global',
      '    for (i, 0, 4) {',
      '      allocate P: float32[1, 8] global',
      '      for (j, 0, 8) {',
      '        P[0, j] = A[i + i.outer * 4, j] + 1.0f',
      '      }',
      '      for (j, 0, 8) {',
      '        Q[i, j] = P[0, j] * 2.0f',
      '      }',
      '    }',
      '    for (i.inner, 0, 4) {',
      '      for (j, 0, 8) {',
      '        D[i.outer * 4 + i.inner, j] = Q[i.inner, j] + 3.0f',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('an upsampling reader needs half a tile; a strided window needs a stride-scaled one', () => {
    const A = placeholder([16], 'float32', 'A');
    const P = compute([16], (i) => add(A.at(i), 1), 'P');
    const U = compute([32], (i) => mul(P.at(floordiv(i, 2)), 2), 'U');
    const s = createSchedule([U]);
    const u = s.stage(U);
    const [io] = u.split(u.axis[0], { factor: 8 });
    s.stage(P).computeAt(u, io);
    const f = lower(s, [A, U], 'up');
    expectTir(f, [
      'func up(A: float32[16], U: float32[32]) {',
      '  for (i.outer, 0, 4) {',
      '    allocate P: float32[4] global',
      '    for (i, 0, 4) {',
      '      P[i] = A[i + i.outer * 4] + 1.0f',
      '    }',
      '    for (i.inner, 0, 8) {',
      '      U[i.outer * 8 + i.inner] = P[floordiv(i.inner, 2)] * 2.0f',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([U]), [A, U], 'ref'), f);

    const r = reduceAxis(3, 'r');
    const D = compute([7], (i) => sum(P.at(add(mul(i, 2), r.var)), [r]), 'D');
    const s2 = createSchedule([D]);
    const d = s2.stage(D);
    const [dio] = d.split(d.axis[0], { factor: 2 });
    s2.stage(P).computeAt(d, dio);
    const g = lower(s2, [A, D], 'down');
    expect(printFunc(g)).toContain('allocate P: float32[5] global');
    expect(printFunc(g)).toContain('D[i.outer * 2 + i.inner] = D[i.outer * 2 + i.inner] + P[r + i.inner * 2]');
    expectSameResults(lower(createSchedule([D]), [A, D], 'ref'), g);
  });
});
