/**
 * @file The CPU schedule of a matrix–vector product (one output row: a fully connected layer at
 * batch 1, `y[j] = sum_k x[k] · W[j, k]`). It does one multiply-add per weight it loads, so it runs
 * at the speed memory delivers the weights: the schedule streams the weight matrix once, in the
 * order it lies in memory, a vector at a time, and splits the columns between threads.
 *
 * Weights stored [N, K] (ONNX Gemm with transB = 1): each output is a dot product along a
 * contiguous row, split by the lanes and rfactored; one vector multiply-add per 64 bytes of
 * weights leaves the FMA latency far below the time memory takes to deliver them:
 *
 *   parallel (j)
 *     P[0:lanes] = 0
 *     for (ko)                                   P[:] += x[ko·lanes : +lanes] · W[j, ko·lanes : +lanes]
 *     y[j] = sum_l P[l]                          one horizontal sum per output
 *
 * Weights stored [K, N] (MatMul): row k of W is contiguous along the outputs, so the register tile
 * is one row of many vectors wide, and every k step loads that many contiguous vectors
 * (scheduleMatmul with mr = 1, without packing).
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { Schedule, Stage } from '../../schedule/index.js';
import type { MatmulOperands } from './matmul-operands.js';
import type { MatmulKnobs } from './matmul.js';
import { scheduleMatmul } from './matmul.js';

/** Weights below which a product stays on one thread (waking the pool costs more). */
const PARALLEL_MIN_WEIGHTS = 1 << 16;

/** Schedules `st`, a product with one output row, as a weight-streaming GEMV. */
export function scheduleGemv(s: Schedule, st: Stage, ops: MatmulOperands, info: TargetInfo): void {
  const lanes = Math.max(4, info.vectorBits / 32);
  if (ops.kContiguous) scheduleDot(s, st, lanes, info);
  else scheduleMatmul(s, st.tensor, rowTile(info, lanes, st.tensor.shape[st.tensor.ndim - 1]), st.tensor, info);
}

/**
 * One dot product per output over its contiguous weight row, the reduction split across the
 * lanes. Consecutive outputs read consecutive rows, so the whole matrix is one sequential stream.
 */
function scheduleDot(s: Schedule, st: Stage, lanes: number, info: TargetInfo): void {
  const k = st.reduceAxis[0];
  const [, kl] = st.split(k, { factor: lanes });
  // the partial sums live in registers (a local stage), not in a buffer allocated per output
  const rf = s.rfactor(st.tensor, kl);
  const partial = s.stage(s.cacheWrite(rf, 'local'));
  s.stage(rf).computeInline();
  const spatial = st.leafAxes().filter((a) => a.iterType === 'spatial');
  const outer = spatial.length > 1 ? st.fuse(...spatial) : spatial[0];
  const weights = st.tensor.shape.reduce((p, d) => p * d, 1) * k.extent;
  if (info.threads && outer.extent > 1 && weights >= PARALLEL_MIN_WEIGHTS) st.parallel(outer);
  partial.computeAt(st, outer);
  const [l, ...rest] = partial.axis;
  partial.reorder(...rest, ...partial.reduceAxis, l);
  partial.vectorize(l);
}

/**
 * One row of accumulators as wide as the register budget allows (16 vectors of AVX-512's 32
 * registers, 8 of AVX2's 16, 4 of WebAssembly's), fewer when N is narrower.
 */
function rowTile(info: TargetInfo, lanes: number, n: number): MatmulKnobs {
  const budget = info.vectorBits >= 512 ? 16 : info.vectorBits >= 256 ? 8 : 4;
  const nv = Math.max(1, Math.min(budget, Math.floor(n / lanes)));
  return { mr: 1, nr: nv * lanes, lanes, nc: nv * lanes, pack: false };
}
