/**
 * The TIR pipeline on what lowering really emits for common schedules: the result must compute
 * what the unscheduled function computes, and the hot loops must come out in the shape code
 * generators need (no guards, contiguous vector accesses).
 */

import { describe, expect, it } from 'vitest';
import { lower } from '../../../src/lower/index.js';
import { createSchedule } from '../../../src/schedule/index.js';
import type { Schedule } from '../../../src/schedule/index.js';
import type { Tensor } from '../../../src/te/index.js';
import { printFunc } from '../../../src/tir/print.js';
import type { PrimFunc } from '../../../src/tir/stmt.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { optimizeTir } from '../../../src/passes/tir/pipeline.js';
import { matmul, rowSum, scale } from '../../lower/programs.js';
import { expectSameResults } from '../../lower/reference.js';

interface Case {
  readonly ref: PrimFunc;
  readonly opt: PrimFunc;
}

function build(out: Tensor, args: Tensor[], schedule: (s: Schedule) => void, checked = false): Case {
  const ref = lower(createSchedule([out]), args, 'ref');
  const s = createSchedule([out]);
  schedule(s);
  return { ref, opt: optimizeTir(lower(s, args, 'opt'), makePassContext({ boundsCheck: checked })) };
}

/** 4×16 register tiles in a local accumulator, rows unrolled, columns vectorized. */
function gemm(m: number, n: number, k: number, checked = false): Case {
  const p = matmul(m, n, k);
  return build(
    p.out,
    p.args,
    (s) => {
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
    },
    checked,
  );
}

describe('tirPipeline on lowered schedules', () => {
  it('vectorizes the GEMM register tile: vector C and B, broadcast A, no branches', () => {
    const { ref, opt } = gemm(12, 32, 8);
    const out = printFunc(opt);
    expect(out).not.toContain('if (');
    expect(out).toContain('C.local[ramp(16, 1, 16)] = C.local[ramp(16, 1, 16)] + x16(A[k + i.outer * 32 + 8]) * B[ramp(k * 32 + j.outer * 16, 1, 16)]');
    expectSameResults(ref, opt);
  });

  it('computes the GEMM when the tiles do not divide the shape, also with bounds checks', () => {
    for (const checked of [false, true]) {
      const { ref, opt } = gemm(10, 21, 5, checked);
      expectSameResults(ref, opt);
    }
  });

  it('cuts the partial last tile of a parallel, vectorized split out of the hot path, inside the parallel loop', () => {
    const p = scale(30);
    const { ref, opt } = build(p.out, p.args, (s) => {
      const c = s.stage(p.out);
      const [o, i] = c.split(c.axis[0], { factor: 8 });
      c.parallel(o);
      c.vectorize(i);
    });
    const out = printFunc(opt);
    // the partial tile stays a task of the parallel loop (not a serial loop after it)
    expect(out).toContain(
      [
        '  parallel (i.outer, 0, 4) {',
        '    if (i.outer < 3) {',
        '      C[ramp(i.outer * 8, 1, 8)] = A[ramp(i.outer * 8, 1, 8)] * x8(2.0f)',
        '    } else {',
        '      for (i.inner, 0, 6) {',
        '        C[i.outer * 8 + i.inner] = A[i.outer * 8 + i.inner] * 2.0f',
        '      }',
        '    }',
        '  }',
      ].join('\n'),
    );
    expectSameResults(ref, opt);
  });

  it('double-buffers a staged reduction', () => {
    const p = rowSum(3, 16);
    const { ref, opt } = build(p.out, p.args, (s) => {
      const c = s.stage(p.out);
      const [ko] = c.split(c.reduceAxis[0], { factor: 4 });
      const AS = s.cacheRead(p.A, 'shared', [p.out]);
      s.stage(AS).computeAt(c, ko);
      s.stage(AS).doubleBuffer();
    });
    const out = printFunc(opt);
    expect(out).toContain('allocate A.shared: float32[8] shared');
    expect(out).toContain('floormod(k.outer + 1, 2) * 4');
    expectSameResults(ref, opt);
  });
});
