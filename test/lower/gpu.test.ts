/**
 * GPU-style schedules: loops bound to block and thread indices, a per-thread accumulator
 * (cacheWrite 'local'), and a 'shared' tile filled cooperatively. Shared memory is one buffer per
 * block, so its region is inferred across the threadIdx loops around it (here: 8 rows of A for
 * the whole 8x8 thread block, not the one row a single thread reads).
 */

import { describe, expect, it } from 'vitest';
import { createSchedule } from '../../src/schedule/index.js';
import { lower } from '../../src/lower/index.js';
import { printFunc } from '../../src/tir/print.js';
import { matmul } from './programs.js';
import { expectSameResults } from './reference.js';

describe('GPU schedules', () => {
  it('a shared tile covers every thread of the block; a local accumulator one thread', () => {
    const p = matmul(32, 32, 32);
    const s = createSchedule([p.out]);
    const CL = s.cacheWrite(p.out, 'local');
    const c = s.stage(p.out);
    const [io, jo, ii, ji] = c.tile(c.axis[0], c.axis[1], 8, 8);
    c.bind(io, 'blockIdx.y');
    c.bind(jo, 'blockIdx.x');
    c.bind(ii, 'threadIdx.y');
    c.bind(ji, 'threadIdx.x');
    const cl = s.stage(CL);
    cl.computeAt(c, ji);
    const [ko] = cl.split(cl.reduceAxis[0], { factor: 8 });
    const AS = s.cacheRead(p.A, 'shared', [CL]);
    const as = s.stage(AS);
    as.computeAt(cl, ko);
    as.bind(as.axis[0], 'threadIdx.y');
    as.bind(as.axis[1], 'threadIdx.x');
    const f = lower(s, p.args, 'gpu');
    expect(printFunc(f).trimEnd().split('\n')).toEqual([
      'func gpu(A: float32[32, 32], B: float32[32, 32], C: float32[32, 32]) {',
      '  bind[blockIdx.y] (i.outer, 0, 4) {',
      '    bind[blockIdx.x] (j.outer, 0, 4) {',
      '      bind[threadIdx.y] (i.inner, 0, 8) {',
      '        bind[threadIdx.x] (j.inner, 0, 8) {',
      '          allocate C.local: float32[1, 1] local',
      '          C.local[0, 0] = 0.0f',
      '          for (k.outer, 0, 4) {',
      '            allocate A.shared: float32[8, 8] shared',
      '            bind[threadIdx.y] (ax0, 0, 8) {',
      '              bind[threadIdx.x] (ax1, 0, 8) {',
      '                A.shared[ax0, ax1] = A[i.outer * 8 + ax0, k.outer * 8 + ax1]',
      '              }',
      '            }',
      '            for (k.inner, 0, 8) {',
      '              C.local[0, 0] = C.local[0, 0] + A.shared[i.inner, k.inner] * B[k.outer * 8 + k.inner, j.outer * 8 + j.inner]',
      '            }',
      '          }',
      '          C[i.outer * 8 + i.inner, j.outer * 8 + j.inner] = C.local[0, 0]',
      '        }',
      '      }',
      '    }',
      '  }',
      '}',
    ]);
    expectSameResults(lower(createSchedule([p.out]), p.args, 'ref'), f);
  });
});
