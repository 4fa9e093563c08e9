/**
 * @file The default CPU schedule for a matrix multiply `C[i, j] = sum_k A[i, k] * B[k, j]`.
 *
 * A register-tiled micro-kernel with a packed B panel, the structure every fast CPU GEMM shares:
 *
 *   parallel (j.outer)                     one nr-wide column panel per iteration (threads split these)
 *     B.global[k, 0:nr] = B[k, j.outer*nr : +nr]     pack the panel contiguously (cacheRead)
 *     for (i.outer)                        one mr-row tile
 *       C.local[mr, nr] = 0                accumulators in registers (cacheWrite)
 *       for (k)                            rank-1 updates: nr/lanes vector loads of B,
 *         C.local[ii, :] += A[i, k] * B.global[k, :]    mr broadcasts of A, fused multiply-adds
 *       C[tile] = C.local                  vectorized write-back
 *
 * Knobs: mr × nr is the register tile (mr · nr/lanes accumulators must fit the register file with
 * room for the B vectors); lanes is the target's vector width in float32 elements. A panel of
 * K × nr floats stays in L2 while all row tiles stream through it.
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
}

/**
 * Register tile for the target, two vectors wide. AVX-512 has 32 vector registers: 8 × 2
 * accumulators leave room for the B vectors and the broadcast. AVX2 and WebAssembly SIMD (as V8
 * maps it on x86-64) have 16, so 6 × 2 accumulators plus 3 temporaries fill them.
 */
export function defaultMatmulKnobs(info: TargetInfo): MatmulKnobs {
  const lanes = Math.max(4, info.vectorBits / 32);
  return { mr: info.vectorBits >= 512 ? 8 : 6, nr: 2 * lanes, lanes };
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
  if (knobs.nr % knobs.lanes !== 0) {
    throw new ScheduleError(`scheduleMatmul(${C.name}): nr=${knobs.nr} is not a multiple of lanes=${knobs.lanes}`);
  }
  const B = inputTensors(C)[1];
  if (!B) throw new ScheduleError(`scheduleMatmul(${C.name}): expected two inputs`);

  const c = s.stage(C);
  const [i, j] = c.axis as [IterVar, IterVar];
  const local = s.cacheWrite(C, 'local');
  const panel = s.cacheRead(B, 'global', [local]);

  const [io, jo, ii, ji] = c.tile(i, j, knobs.mr, knobs.nr);
  c.reorder(jo, io, ii, ji);
  c.parallel(jo);
  c.vectorize(ji);

  const acc = s.stage(local);
  acc.computeAt(c, io);
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
