/**
 * @file The default CPU schedule for a matrix multiply `C[i, j] = sum_k A[i, k] * B[k, j]`.
 *
 * A register-tiled micro-kernel with a packed B panel, the structure every fast CPU GEMM shares:
 *
 *   parallel (j.outer)                     one nc-wide column panel per iteration (threads split these)
 *     B.global[k, 0:nc] = B[k, j.outer*nc : +nc]     pack the panel contiguously (cacheRead)
 *     for (i.outer)                        one mr-row strip of A ...
 *       for (j.middle)                     ... meets nc/nr register tiles of the panel
 *         C.local[mr, nr] = 0              accumulators in registers (cacheWrite)
 *         for (k)                          rank-1 updates: nr/lanes vector loads of B,
 *           C.local[ii, :] += A[i, k] * B.global[k, jm*nr : +nr]   mr broadcasts of A, FMAs
 *         C[tile] = C.local                vectorized write-back
 *
 * Knobs: mr × nr is the register tile (mr · nr/lanes accumulators must fit the register file with
 * room for the B vectors); lanes is the target's vector width in float32 elements; the panel of
 * K × nc floats stays in L2 while every strip of A streams through it, and each strip (mr × K) is
 * reused from L1 by the nc/nr tiles of the panel, which divides A's traffic from memory by nc/nr.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { IterVar } from '../../ir/expr.js';
import type { Schedule } from '../../schedule/index.js';
import { ScheduleError } from '../../schedule/index.js';
import type { Tensor } from '../../te/tensor.js';
import { inputTensors } from '../../te/tensor.js';

export interface MatmulKnobs {
  /** rows of the register tile */
  readonly mr: number;
  /** columns of the register tile (a multiple of lanes) */
  readonly nr: number;
  /** vector lanes of float32 */
  readonly lanes: number;
  /** columns of the packed B panel (a multiple of nr) */
  readonly nc: number;
}

/**
 * Register tile for the target, two vectors wide. AVX-512 has 32 vector registers: 8 × 2
 * accumulators leave room for the B vectors and the broadcast. AVX2 has 16, so 6 × 2
 * accumulators plus 3 temporaries fill them. WebAssembly SIMD has no fused multiply-add, and V8
 * keeps one of x86-64's 16 xmm registers as scratch, so 6 × 2 spills accumulators in the k loop;
 * 4 × 2 does not (measured faster on 1024³ as well as 512³).
 */
export function defaultMatmulKnobs(info: TargetInfo, shape?: { readonly n: number; readonly k: number }): MatmulKnobs {
  const lanes = Math.max(4, info.vectorBits / 32);
  const nr = 2 * lanes;
  const mr = info.vectorBits >= 512 ? 8 : info.vectorBits <= 128 ? 4 : 6;
  if (!shape) return { mr, nr, lanes, nc: nr };
  // Up to four register tiles per panel, as long as the panel fills at most half of L2 and the
  // panels tile N exactly.
  let tiles = Math.max(1, Math.min(4, Math.floor(info.l2Bytes / 2 / (shape.k * 4 * nr))));
  while (tiles > 1 && shape.n % (tiles * nr) !== 0) tiles--;
  return { mr, nr, lanes, nc: tiles * nr };
}

function only<T>(xs: readonly T[], what: string, stage: string): T {
  if (xs.length !== 1) throw new ScheduleError(`scheduleMatmul(${stage}): expected one ${what}, found ${xs.length}`);
  return xs[0];
}

/** Applies the matmul schedule to output `C` (a 2-D compute with one reduce axis) of `s`. */
export function scheduleMatmul(s: Schedule, C: Tensor, knobs: MatmulKnobs): void {
  if (C.op.kind !== 'compute' || C.ndim !== 2) {
    throw new ScheduleError(`scheduleMatmul(${C.name}): expected a 2-D compute`);
  }
  only(C.op.reduceAxis, 'reduce axis', C.name);
  if (knobs.nr % knobs.lanes !== 0 || knobs.nc % knobs.nr !== 0) {
    throw new ScheduleError(`scheduleMatmul(${C.name}): nr=${knobs.nr} must be a multiple of lanes=${knobs.lanes} and nc=${knobs.nc} of nr`);
  }
  const B = inputTensors(C)[1];
  if (!B) throw new ScheduleError(`scheduleMatmul(${C.name}): expected two inputs`);

  const c = s.stage(C);
  const [i, j] = c.axis as [IterVar, IterVar];
  const local = s.cacheWrite(C, 'local');
  const panel = s.cacheRead(B, 'global', [local]);

  const [io, jo, ii, jPanel] = c.tile(i, j, knobs.mr, knobs.nc);
  const [jm, ji] = c.split(jPanel, { factor: knobs.nr });
  c.reorder(jo, io, jm, ii, ji);
  c.parallel(jo);
  c.vectorize(ji);

  const acc = s.stage(local);
  acc.computeAt(c, jm);
  const [ai, aj] = acc.axis as [IterVar, IterVar];
  const k = acc.reduceAxis[0];
  const [ajo, aji] = acc.split(aj, { factor: knobs.lanes });
  acc.reorder(k, ai, ajo, aji);
  acc.unroll(ai);
  acc.unroll(ajo);
  acc.vectorize(aji);

  const pack = s.stage(panel);
  pack.computeAt(c, jo);
  const pj = pack.leafAxes()[1];
  const [, pji] = pack.split(pj, { factor: knobs.lanes });
  pack.vectorize(pji);
}
