/**
 * The GEMM schedule the benchmark and the CPU strategy build on: C tiled into 4x16 register tiles
 * accumulated in a local buffer (cacheWrite), B packed per 16-column panel into a global buffer
 * reused by every row tile (cacheRead at the outer loop), the register tile's rows unrolled and
 * its columns vectorized. It must lower to a clean nest: no guards, indices no more complex than
 * `outer * tile + inner`, exactly-sized buffers.
 */

import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../src/schedule/index.js';
import { createSchedule } from '../../src/schedule/index.js';
import { lower } from '../../src/lower/index.js';
import { makePassContext } from '../../src/passes/pass.js';
import { optimizeTir } from '../../src/passes/tir/pipeline.js';
import { printFunc } from '../../src/tir/print.js';
import { matmul } from './programs.js';
import { expectSameResults } from './reference.js';

function gemmSchedule(m: number, n: number, k: number): { s: Schedule; args: ReturnType<typeof matmul>['args'] } {
  const p = matmul(m, n, k);
  const s = createSchedule([p.out]);
  const CL = s.cacheWrite(p.out, 'local');
  const c = s.stage(p.out);
  const [io, jo, ii, ji] = c.tile(c.axis[0], c.axis[1], 4, 16);
  c.reorder(jo, io, ii, ji);
  c.vectorize(ji);
  const cl = s.stage(CL);
  cl.computeAt(c, io);
  const [ci, cj] = cl.axis;
  cl.reorder(cl.reduceAxis[0], ci, cj);
  cl.unroll(ci);
  cl.vectorize(cj);
  const BP = s.cacheRead(p.B, 'global', [CL]);
  s.stage(BP).computeAt(c, jo);
  return { s, args: p.args };
}

describe('GEMM schedule', () => {
  it('lowers to a clean register-tiled nest with a packed B panel', () => {
    const { s, args } = gemmSchedule(64, 64, 32);
    expect(printFunc(lower(s, args, 'gemm')).trimEnd().split('\n')).toEqual([
      'func gemm(A: float32[64, 32], B: float32[32, 64], C: float32[64, 64]) {',
      '  for (j.outer, 0, 4) {',
      '    allocate B.global: float32[32, 16] global',
      '    for (ax0, 0, 32) {',
      '      for (ax1, 0, 16) {',
      '        B.global[ax0, ax1] = B[ax0, j.outer * 16 + ax1]',
      '      }',
      '    }',
      '    for (i.outer, 0, 16) {',
      '      allocate C.local: float32[4, 16] local',
      '      unrolled (i.init, 0, 4) {',
      '        vectorized (j.init, 0, 16) {',
      '          C.local[i.init, j.init] = 0.0f',
      '        }',
      '      }',
      '      for (k, 0, 32) {',
      '        unrolled (i, 0, 4) {',
      '          vectorized (j, 0, 16) {',
      '            C.local[i, j] = C.local[i, j] + A[i + i.outer * 4, k] * B.global[k, j]',
      '          }',
      '        }',
      '      }',
      '      for (i.inner, 0, 4) {',
      '        vectorized (j.inner, 0, 16) {',
      '          C[i.outer * 4 + i.inner, j.outer * 16 + j.inner] = C.local[i.inner, j.inner]',
      '        }',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
  });

  it('computes the matmul, also where the tiles do not divide the shape', () => {
    for (const [m, n, k] of [
      [16, 32, 8],
      [10, 21, 5],
    ] as const) {
      const p = matmul(m, n, k);
      const ref = lower(createSchedule([p.out]), p.args, 'ref');
      const { s, args } = gemmSchedule(m, n, k);
      expectSameResults(ref, lower(s, args, 'gemm'));
    }
  });

  it('still computes the matmul after the whole TIR pipeline', () => {
    const p = matmul(12, 32, 8);
    const ref = lower(createSchedule([p.out]), p.args, 'ref');
    const { s, args } = gemmSchedule(12, 32, 8);
    expectSameResults(ref, optimizeTir(lower(s, args, 'gemm'), makePassContext()));
  });
});
