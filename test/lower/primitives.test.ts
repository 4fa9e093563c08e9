/**
 * One test per schedule primitive: a small compute, the schedule, and the loop nest it must lower
 * to. Each expectation is the whole printed function, so any change in loop structure, guards,
 * indices or storage shows up as a readable diff; each scheduled function must also compute what
 * the unscheduled one computes (reference interpreter, random inputs).
 */

import { describe, expect, it } from 'vitest';
import { createSchedule } from '../../src/schedule/index.js';
import { lower } from '../../src/lower/index.js';
import { printFunc } from '../../src/tir/print.js';
import type { PrimFunc } from '../../src/tir/stmt.js';
import { chain, matmul, rowSum, scale, stencil } from './programs.js';
import { expectSameResults } from './reference.js';

/** The printed function, compared line by line with `lines` (indentation included). */
function expectTir(f: PrimFunc, lines: readonly string[]): void {
  expect(printFunc(f).trimEnd().split('\n')).toEqual(lines);
}

describe('lowering each primitive', () => {
  it('split by a dividing factor: no guard', () => {
    const p = scale(32);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    c.split(c.axis[0], { factor: 8 });
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[32], C: float32[32]) {',
      '  for (i.outer, 0, 4) {',
      '    for (i.inner, 0, 8) {',
      '      C[i.outer * 8 + i.inner] = A[i.outer * 8 + i.inner] * 2.0f',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('split by a non-divisor guards the overshoot', () => {
    const p = scale(30);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    c.split(c.axis[0], { factor: 8 });
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[30], C: float32[30]) {',
      '  for (i.outer, 0, 4) {',
      '    for (i.inner, 0, 8) {',
      '      if (i.outer * 8 + i.inner < 30) {',
      '        C[i.outer * 8 + i.inner] = A[i.outer * 8 + i.inner] * 2.0f',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('split by nparts fixes the outer extent', () => {
    const p = scale(30);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    c.split(c.axis[0], { nparts: 3 });
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[30], C: float32[30]) {',
      '  for (i.outer, 0, 3) {',
      '    for (i.inner, 0, 10) {',
      '      C[i.outer * 10 + i.inner] = A[i.outer * 10 + i.inner] * 2.0f',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('split by a factor larger than the extent is clamped', () => {
    const p = scale(6);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    c.split(c.axis[0], { factor: 8 });
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[6], C: float32[6]) {',
      '  for (i.inner, 0, 6) {',
      '    C[i.inner] = A[i.inner] * 2.0f',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('tile splits both axes and orders outer loops first', () => {
    const p = chain(16, 16);
    const s = createSchedule([p.out]);
    s.stage(p.B).computeInline();
    const c = s.stage(p.out);
    c.tile(c.axis[0], c.axis[1], 4, 8);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[16, 16], C: float32[16, 16]) {',
      '  for (i.outer, 0, 4) {',
      '    for (j.outer, 0, 2) {',
      '      for (i.inner, 0, 4) {',
      '        for (j.inner, 0, 8) {',
      '          C[i.outer * 4 + i.inner, j.outer * 8 + j.inner] = (A[i.outer * 4 + i.inner, j.outer * 8 + j.inner] + 1.0f) * 2.0f',
      '        }',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('fuse enumerates the fused axes row-major', () => {
    const p = chain(4, 6);
    const s = createSchedule([p.out]);
    s.stage(p.B).computeInline();
    const c = s.stage(p.out);
    c.fuse(c.axis[0], c.axis[1]);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[4, 6], C: float32[4, 6]) {',
      '  for (i.j.fused, 0, 24) {',
      '    C[floordiv(i.j.fused, 6), floormod(i.j.fused, 6)] = (A[floordiv(i.j.fused, 6), floormod(i.j.fused, 6)] + 1.0f) * 2.0f',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('reorder swaps loops', () => {
    const p = chain(4, 6);
    const s = createSchedule([p.out]);
    s.stage(p.B).computeInline();
    const c = s.stage(p.out);
    c.reorder(c.axis[1], c.axis[0]);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[4, 6], C: float32[4, 6]) {',
      '  for (j, 0, 6) {',
      '    for (i, 0, 4) {',
      '      C[i, j] = (A[i, j] + 1.0f) * 2.0f',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('an intermediate at the root gets a global allocation around the function', () => {
    const p = chain(4, 6);
    const s = createSchedule([p.out]);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[4, 6], C: float32[4, 6]) {',
      '  allocate B: float32[4, 6] global',
      '  for (i, 0, 4) {',
      '    for (j, 0, 6) {',
      '      B[i, j] = A[i, j] + 1.0f',
      '    }',
      '  }',
      '  for (i, 0, 4) {',
      '    for (j, 0, 6) {',
      '      C[i, j] = B[i, j] * 2.0f',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('computeAt computes one row of the producer per consumer row; extent-1 loops vanish', () => {
    const p = chain(4, 6);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    s.stage(p.B).computeAt(c, c.axis[0]);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[4, 6], C: float32[4, 6]) {',
      '  for (i, 0, 4) {',
      '    allocate B: float32[1, 6] global',
      '    for (j, 0, 6) {',
      '      B[0, j] = A[i, j] + 1.0f',
      '    }',
      '    for (j, 0, 6) {',
      '      C[i, j] = B[0, j] * 2.0f',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('computeRoot undoes computeAt', () => {
    const p = chain(4, 6);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    s.stage(p.B).computeAt(c, c.axis[0]);
    s.stage(p.B).computeRoot();
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[4, 6], C: float32[4, 6]) {',
      '  allocate B: float32[4, 6] global',
      '  for (i, 0, 4) {',
      '    for (j, 0, 6) {',
      '      B[i, j] = A[i, j] + 1.0f',
      '    }',
      '  }',
      '  for (i, 0, 4) {',
      '    for (j, 0, 6) {',
      '      C[i, j] = B[i, j] * 2.0f',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('computeInline substitutes the producer into its reader', () => {
    const p = stencil(4);
    const s = createSchedule([p.out]);
    s.stage(p.B).computeInline();
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[6, 6], C: float32[4, 4]) {',
      '  for (i, 0, 4) {',
      '    for (j, 0, 4) {',
      '      C[i, j] = 0.0f',
      '      for (ry, 0, 3) {',
      '        for (rx, 0, 3) {',
      '          C[i, j] = C[i, j] + (A[ry + i, rx + j] + 1.0f)',
      '        }',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('cacheRead copies an input into local storage; the inlined reader reads the copy', () => {
    const p = chain(8, 8);
    const s = createSchedule([p.out]);
    s.stage(p.B).computeInline();
    const c = s.stage(p.out);
    const [io] = c.split(c.axis[0], { factor: 2 });
    const AL = s.cacheRead(p.A, 'local', [p.B]);
    s.stage(AL).computeAt(c, io);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[8, 8], C: float32[8, 8]) {',
      '  for (i.outer, 0, 4) {',
      '    allocate A.local: float32[2, 8] local',
      '    for (ax0, 0, 2) {',
      '      for (ax1, 0, 8) {',
      '        A.local[ax0, ax1] = A[i.outer * 2 + ax0, ax1]',
      '      }',
      '    }',
      '    for (i.inner, 0, 2) {',
      '      for (j, 0, 8) {',
      '        C[i.outer * 2 + i.inner, j] = (A.local[i.inner, j] + 1.0f) * 2.0f',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('cacheWrite moves the reduction into a local tile and copies it out', () => {
    const p = matmul(8, 8, 4);
    const s = createSchedule([p.out]);
    const CL = s.cacheWrite(p.out, 'local');
    const c = s.stage(p.out);
    const [, jo] = c.tile(c.axis[0], c.axis[1], 2, 4);
    s.stage(CL).computeAt(c, jo);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[8, 4], B: float32[4, 8], C: float32[8, 8]) {',
      '  for (i.outer, 0, 4) {',
      '    for (j.outer, 0, 2) {',
      '      allocate C.local: float32[2, 4] local',
      '      for (i, 0, 2) {',
      '        for (j, 0, 4) {',
      '          C.local[i, j] = 0.0f',
      '          for (k, 0, 4) {',
      '            C.local[i, j] = C.local[i, j] + A[i + i.outer * 2, k] * B[k, j + j.outer * 4]',
      '          }',
      '        }',
      '      }',
      '      for (i.inner, 0, 2) {',
      '        for (j.inner, 0, 4) {',
      '          C[i.outer * 2 + i.inner, j.outer * 4 + j.inner] = C.local[i.inner, j.inner]',
      '        }',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('reduction init sits before the outermost reduce loop and repeats the spatial loops below it', () => {
    const p = matmul(4, 4, 8);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    c.reorder(c.reduceAxis[0], c.axis[1]);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[4, 8], B: float32[8, 4], C: float32[4, 4]) {',
      '  for (i, 0, 4) {',
      '    for (j.init, 0, 4) {',
      '      C[i, j.init] = 0.0f',
      '    }',
      '    for (k, 0, 8) {',
      '      for (j, 0, 4) {',
      '        C[i, j] = C[i, j] + A[i, k] * B[k, j]',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('loop annotations become loop kinds', () => {
    const p = chain(8, 8);
    const s = createSchedule([p.out]);
    s.stage(p.B).computeInline();
    const c = s.stage(p.out);
    const [jo, ji] = c.split(c.axis[1], { factor: 4 });
    c.parallel(c.axis[0]);
    c.unroll(jo);
    c.vectorize(ji);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[8, 8], C: float32[8, 8]) {',
      '  parallel (i, 0, 8) {',
      '    unrolled (j.outer, 0, 2) {',
      '      vectorized (j.inner, 0, 4) {',
      '        C[i, j.outer * 4 + j.inner] = (A[i, j.outer * 4 + j.inner] + 1.0f) * 2.0f',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('bind maps loops to GPU indices', () => {
    const p = scale(64);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    const [bx, tx] = c.split(c.axis[0], { factor: 16 });
    c.bind(bx, 'blockIdx.x');
    c.bind(tx, 'threadIdx.x');
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[64], C: float32[64]) {',
      '  bind[blockIdx.x] (i.outer, 0, 4) {',
      '    bind[threadIdx.x] (i.inner, 0, 16) {',
      '      C[i.outer * 16 + i.inner] = A[i.outer * 16 + i.inner] * 2.0f',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('doubleBuffer wraps the producer in its attach loop', () => {
    const p = rowSum(2, 16);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    const [ko] = c.split(c.reduceAxis[0], { factor: 4 });
    const AS = s.cacheRead(p.A, 'shared', [p.out]);
    s.stage(AS).computeAt(c, ko);
    s.stage(AS).doubleBuffer();
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[2, 16], C: float32[2]) {',
      '  for (i, 0, 2) {',
      '    C[i] = 0.0f',
      '    for (k.outer, 0, 4) {',
      '      allocate A.shared: float32[1, 4] shared',
      '      attr double_buffer A.shared [] {',
      '        for (ax1, 0, 4) {',
      '          A.shared[0, ax1] = A[i, k.outer * 4 + ax1]',
      '        }',
      '      }',
      '      for (k.inner, 0, 4) {',
      '        C[i] = C[i] + A.shared[0, k.inner]',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('storageAlign pads the stride of the aligned dimension', () => {
    const p = chain(4, 8);
    const s = createSchedule([p.out]);
    const b = s.stage(p.B);
    b.storageAlign(b.axis[0], 16, 1);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[4, 8], C: float32[4, 8]) {',
      '  allocate B: float32[4, 8] strides=[17, 1] global',
      '  for (i, 0, 4) {',
      '    for (j, 0, 8) {',
      '      B[i, j] = A[i, j] + 1.0f',
      '    }',
      '  }',
      '  for (i, 0, 4) {',
      '    for (j, 0, 8) {',
      '      C[i, j] = B[i, j] * 2.0f',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('rfactor splits a reduction into partial sums and a final sum', () => {
    const p = rowSum(4, 30);
    const s = createSchedule([p.out]);
    const c = s.stage(p.out);
    const [ko] = c.split(c.reduceAxis[0], { factor: 4 });
    const CF = s.rfactor(p.out, ko);
    s.stage(CF).parallel(s.stage(CF).axis[0]);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[4, 30], C: float32[4]) {',
      '  allocate C.rf: float32[8, 4] global',
      '  parallel (k.outer, 0, 8) {',
      '    for (i, 0, 4) {',
      '      C.rf[k.outer, i] = 0.0f',
      '      for (k.inner, 0, 4) {',
      '        if (k.outer * 4 + k.inner < 30) {',
      '          C.rf[k.outer, i] = C.rf[k.outer, i] + A[i, k.outer * 4 + k.inner]',
      '        }',
      '      }',
      '    }',
      '  }',
      '  for (i, 0, 4) {',
      '    C[i] = 0.0f',
      '    for (k.outer, 0, 8) {',
      '      C[i] = C[i] + C.rf[k.outer, i]',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });

  it('rfactor of an unsplit axis gives a partial stage without a reduction', () => {
    const p = rowSum(2, 3);
    const s = createSchedule([p.out]);
    s.rfactor(p.out, s.stage(p.out).reduceAxis[0]);
    const f = lower(s, p.args, 'f');
    expectTir(f, [
      'func f(A: float32[2, 3], C: float32[2]) {',
      '  allocate C.rf: float32[3, 2] global',
      '  for (k, 0, 3) {',
      '    for (i, 0, 2) {',
      '      C.rf[k, i] = A[i, k]',
      '    }',
      '  }',
      '  for (i, 0, 2) {',
      '    C[i] = 0.0f',
      '    for (k, 0, 3) {',
      '      C[i] = C[i] + C.rf[k, i]',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });
});
