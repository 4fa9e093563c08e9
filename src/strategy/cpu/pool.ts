/**
 * @file The CPU schedule of a 2-D window pool on NCHW (MaxPool, AveragePool, LpPool: a pad stage
 * and one reduction over the window, tagged `pool` by src/ops/pool.ts), and on the blocked layout
 * NCHWc, where graph.convertLayout makes it a 3-D pool over (h, w, lanes) one lane wide.
 *
 *   parallel (n·c, band)                      a band of output rows of one channel plane
 *     pad[rows of the band, all w]            the padded input rows, materialized per task
 *     for (oh in band) for (ow.outer)
 *       acc[0:lanes] = fill                   one vector of outputs in a register
 *       for (ry, rx)                          the window, unrolled
 *         acc = max(acc, pad[oh·s + ry, (ow + 0:lanes)·s + rx])
 *       out[oh, ow:+lanes] = epilogue(acc)    the average's divisor and the fused tail
 *
 * Materializing the padded rows keeps bounds tests out of the window loop (tir.loopPartition cuts
 * them out of the copy), so the window's loads are plain vector loads — strided ones (gathers from
 * L1) when the width stride is not 1. Without the copy, every load is a select on two bounds and
 * the lanes stay scalar. On NCHWc the vector is the block's lanes, every load contiguous, and a
 * step computes a few columns so that their window chains overlap.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { IterVar } from '../../ir/expr.js';
import type { Schedule, Stage } from '../../schedule/index.js';
import { inputTensors } from '../../te/tensor.js';
import { epilogueOf } from './epilogue.js';

/** Bytes of padded input rows one task copies: they stay in L1 while the window reads them. */
const BAND_BYTES = 16 * 1024;

/**
 * Below this many output elements a pool runs on one thread: handing a loop to a second thread
 * costs some 10 µs or more (bench/c-region.ts), what 2^16 outputs of a 3×3 window take.
 */
const PARALLEL_MIN_ELEMENTS = 1 << 16;

/** The largest divisor of `n` that is at most `cap` (bands that divide need no bounds test). */
function largestDivisor(n: number, cap: number): number {
  for (let d = Math.min(n, cap); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

/** Output columns a blocked pool computes per step (each one vector of lanes). */
const BLOCKED_COLUMNS = 4;

/** Whether `st` is a float32 2-D window pool over NCHW, or over NCHWc. */
export function isPool(st: Stage): boolean {
  const t = st.tensor;
  if (t.op.kind !== 'compute' || t.op.tag !== 'pool' || t.dtype !== 'float32') return false;
  // blocked (NCHWc): a 3-D window over (h, w, lanes) one lane wide
  if (t.ndim === 5) return st.reduceAxis.length === 3 && st.reduceAxis[2].extent === 1;
  return t.ndim === 4 && st.reduceAxis.length === 2;
}

/** The pad stage a pool reads, when only the pool reads it. */
export function poolPad(s: Schedule, pool: Stage): Stage | null {
  const [data] = inputTensors(pool.tensor).map((t) => s.stage(t));
  if (data.isPlaceholder || data.tensor.op.kind !== 'compute' || data.tensor.op.tag !== 'pad') return null;
  const readers = s.readers(data);
  return readers.length === 1 && readers[0] === pool ? data : null;
}

/** The stride of the pool's output rows over its input rows: input rows per output row. */
function rowStride(pool: Stage, pad: Stage | null): number {
  const inRows = (pad ?? null)?.tensor.shape[2] ?? inputTensors(pool.tensor)[0].shape[2];
  const [kh] = pool.reduceAxis.map((r) => r.extent);
  const oh = pool.tensor.shape[2];
  return oh > 1 ? Math.max(1, Math.floor((inRows - kh) / (oh - 1))) : 1;
}

/**
 * Schedules pool `pool` of `s`, computed inside the vectors of its fused group's output (itself,
 * or the element-wise tail that reads it, such as the average's divisor). Returns that output.
 */
export function schedulePool(s: Schedule, pool: Stage, pad: Stage | null, target: TargetInfo): Stage {
  const out = pool.isOutput ? pool : (epilogueOf(s, pool) ?? pool);
  const local = s.stage(s.cacheWrite(pool.tensor, 'local'));
  if (out !== pool) pool.computeInline();
  const o = out;
  const [n, c, oh, ow, lane] = o.axis as [IterVar, IterVar, IterVar, IterVar, IterVar | undefined];
  const blocked = lane !== undefined;
  const full = Math.max(1, target.vectorBits / 32);
  // vectors that divide the width leave no masked last vector (56 columns: 7 × 8, not 3 × 16 + 8)
  const lanes = blocked ? lane.extent : ([full, full / 2, full / 4].find((l) => l >= 4 && ow.extent % l === 0) ?? full);
  const rowBytes = 4 * (pad ?? local).tensor.shape.slice(3).reduce((a, b) => a * b, 1);
  const stride = rowStride(local, pad);
  const kh = local.reduceAxis[0].extent;
  const bandRows = largestDivisor(oh.extent, Math.floor((BAND_BYTES / rowBytes - kh) / stride) + 1);
  const [band, row] = o.split(oh, { factor: bandRows });
  // blocked: a few columns of whole blocks per step, so their window chains overlap
  const [columns, vector] = blocked ? o.split(ow, { factor: largestDivisor(ow.extent, BLOCKED_COLUMNS) }) : ow.extent >= lanes && lanes > 1 ? o.split(ow, { factor: lanes }) : [ow, null];
  o.reorder(...[n, c, band, row, columns, vector, lane].filter((a) => a !== null && a !== undefined));
  const task = o.fuse(n, c, band);
  if (blocked) {
    if (vector) o.unroll(vector);
    o.vectorize(lane);
  } else if (vector) o.vectorize(vector);
  const elements = o.tensor.shape.reduce((a, b) => a * b, 1);
  if (target.threads && task.extent > 1 && elements >= PARALLEL_MIN_ELEMENTS) o.parallel(task);

  local.computeAt(o, columns);
  const [, , , lw, ll] = local.axis as [IterVar, IterVar, IterVar, IterVar, IterVar | undefined];
  local.reorder(...local.reduceAxis, lw, ...(ll ? [ll] : []));
  for (const r of local.reduceAxis) local.unroll(r);
  if (ll) {
    local.unroll(lw);
    local.vectorize(ll);
  } else if (vector) local.vectorize(lw);

  if (pad) {
    pad.computeAt(o, task);
    const pw = pad.leafAxes()[pad.leafAxes().length - 1];
    if (blocked) pad.vectorize(pw);
    else if (pw.extent >= full && full > 1) pad.vectorize(pad.split(pw, { factor: full })[1]);
  }
  return o;
}
