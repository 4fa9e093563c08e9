/**
 * @file The order of the TIR passes — decided here and nowhere else.
 *
 * Lowering hands over multi-dimensional accesses, guards from non-dividing splits and
 * `double_buffer` attrs; code generators expect flat buffers, branch-free hot loops and vector
 * code as ramps and broadcasts. In between:
 *
 *   1. injectDoubleBuffer  needs the multi-dimensional buffer to add its leading dimension of 2
 *   2. storageFlatten      one flat index per access, from here on
 *   3. simplify            clean the flat indices, fold guards that always hold
 *   4. loopPartition       cut the remaining guards out of the hot loops
 *   5. unroll              copy out unrolled loops
 *   6. simplify            fold what partitioning and unrolling made constant (extent-1
 *                          remainders, substituted copies), so vectorize sees clean indices
 *   7. vectorize           vectorized loops → ramps/broadcasts (needs flat indices)
 *   8. loopPartition       again, for the guards of vectorized loops that stayed serial (a
 *                          partial last tile): they become shorter loops without guards
 *   9. simplify            clean ramp bases, vector conditions and the new remainders
 *  10. removeNoOp          drop what the passes above emptied
 *  11. boundsCheck         only with config.boundsCheck; last, so it checks the final accesses
 *  12. verify              the invariants code generators rely on
 */

import { printFunc } from '../../tir/print.js';
import type { PrimFunc } from '../../tir/stmt.js';
import type { Pass, PassContext } from '../pass.js';
import { runPipeline } from '../pass.js';
import { boundsCheck } from './boundsCheck.js';
import { injectDoubleBuffer } from './injectDoubleBuffer.js';
import { loopPartition } from './loopPartition.js';
import { removeNoOp } from './removeNoOp.js';
import { simplify } from './simplify.js';
import { storageFlatten } from './storageFlatten.js';
import { unroll } from './unroll.js';
import { vectorize } from './vectorize.js';
import { verify } from './verify.js';

export const tirPipeline: readonly Pass<PrimFunc>[] = [
  injectDoubleBuffer,
  storageFlatten,
  simplify,
  loopPartition,
  unroll,
  simplify,
  vectorize,
  loopPartition,
  simplify,
  removeNoOp,
  boundsCheck,
  verify,
];

/** Runs the TIR pipeline on one lowered function; `ctx` decides what is skipped and dumped. */
export function optimizeTir(f: PrimFunc, ctx: PassContext): PrimFunc {
  return runPipeline(tirPipeline, f, ctx, printFunc);
}
