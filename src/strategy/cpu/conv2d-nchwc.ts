/**
 * @file The schedule of convolutions on the blocked NCHWc layout (src/ops/nchwc.ts): a direct
 * convolution whose register tile is a run of output columns times one or more output-channel
 * blocks, each block one vector of lanes.
 *
 *   for (n)
 *     parallel (oh.outer)                        taskRows output rows per task (threads split these)
 *       pad[all cb, rows the task reads, all w]  the padded input rows, materialized per task
 *       for (oh.inner) for (mb.outer) for (ow.outer)
 *         acc[mbb][owb][lanes] = 0               accumulators in registers
 *         for (rcb, ry, rx, rci)                 reduce loops outside the register tile
 *           acc[j][i] += pad[rcb, oh·s + ry·d, (ow + i)·s + rx·d, rci]   one broadcast …
 *                        · W[mb + j, rcb, ry, rx, rci, 0:lanes]          … times one vector load
 *         out[tile] = epilogue(acc)              bias and the fused element-wise tail, from registers
 *
 * When a tile's weight panel (mbb blocks × all input channels × the window) would not stay in
 * L1, the reduction runs in chunks of input-channel blocks instead (see `chunkReduction`): each
 * chunk's panel serves every tile of a column chunk from L1, and the chunks' partial sums are
 * added in the tile the output writes. A map with too few rows for four tasks per core
 * (`splitBlocks`: 7² and 14² on two threads) makes tasks of rows × mbb blocks instead, reading
 * one padded input built before them.
 *
 * A depthwise convolution has no channel reduction: its tile is owb columns of one block, each
 * lane convolved alone (input and weights both vector loads). Knobs (`BlockedConvKnobs`) are
 * plain data with a default per target and shape, for the auto-tuner to search. A lane-by-lane
 * channel concatenation (ConcatNCHWc) gets a schedule that makes each run of lanes one copy.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { IterVar } from '../../ir/expr.js';
import { visit } from '../../ir/visit.js';
import type { Schedule, Stage } from '../../schedule/index.js';
import type { Tensor } from '../../te/tensor.js';
import { inputTensors } from '../../te/tensor.js';
import { epilogueOf } from './epilogue.js';

export interface BlockedConvKnobs {
  /** output columns of the register tile (the last tile of a row is narrower where it does not divide the width) */
  readonly owb: number;
  /** output-channel blocks of the register tile (divides the blocks; 1 for depthwise) */
  readonly mbb: number;
  /** output rows of one parallel task (divides the output height) */
  readonly taskRows: number;
  /** materialize the padded input rows of each task, keeping bounds tests out of the inner loop */
  readonly padRows: boolean;
  /**
   * input-channel blocks of one reduction chunk (divides the input blocks). Fewer than all: the
   * chunk's weight panel stays in L1 while every tile of `owc` columns reads it, and the tiles'
   * accumulators live in a buffer across chunks (absent: one chunk, accumulators in registers)
   */
  readonly rcbChunk?: number;
  /** output columns whose accumulators that buffer holds (a multiple of owb dividing the width) */
  readonly owc?: number;
  /**
   * parallel tasks split the output-channel blocks as well as the rows (a task: taskRows rows of
   * mbb blocks), for maps with too few rows to keep every core busy; the padded input is then
   * built once, before the tasks
   */
  readonly splitBlocks?: boolean;
}

/** The shape the knobs are chosen from: output [N, Mb, OH, OW, lanes]. */
export interface BlockedConvShape {
  readonly out: readonly number[];
  readonly depthwise: boolean;
  /** the reduce extents [Cb, KH, KW, ci] of a (non-depthwise) convolution */
  readonly reduce?: readonly number[];
}

const CONV = 'conv2d_nchwc';
const CONCAT = 'concat_nchwc';
const DEPTHWISE = 'depthwise_conv2d_nchwc';

/** Below this many output elements a stage runs on one thread: waking a pool costs more. */
const PARALLEL_MIN_ELEMENTS = 4096;

/**
 * Accumulator vectors the register file holds with room for the broadcast and the weight
 * vectors: 32 registers on AVX-512 (28 accumulators: a 4 × 7 tile keeps 4 weight vectors
 * and spills one accumulator, yet ran 1.3× faster than 4 × 4 on Zen 5), 16 on AVX2, and
 * WebAssembly's 16 xmm less V8's scratch.
 */
export function accumulators(info: TargetInfo): number {
  if (info.vectorBits >= 512) return 28;
  if (info.vectorBits >= 256) return 12;
  return 8;
}

/** The largest divisor of `n` that is at most `cap`. */
function largestDivisor(n: number, cap: number): number {
  for (let d = Math.min(n, cap); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

/**
 * The register tile with the most multiply-adds per load: a tile of `mbb` channel blocks by `owb`
 * columns loads mbb weight vectors and owb broadcasts for mbb · owb FMAs, within the
 * accumulators the target has (ties go to fewer blocks, so more columns share each weight).
 * A task of several rows pads the rows its windows share once (a 3×3 window over 8 rows pads 10
 * rows, not 24), as long as there are tasks enough for every core four times over.
 */
export function defaultBlockedConvKnobs(info: TargetInfo, shape: BlockedConvShape): BlockedConvKnobs {
  const [, blocks, height, width] = shape.out;
  const budget = accumulators(info);
  const score = (t: { mbb: number; owb: number }): number => (t.mbb * t.owb) / (t.mbb + t.owb);
  let best = { mbb: 1, owb: largestDivisor(width, Math.min(14, budget)) };
  for (let mbb = 2; mbb <= 4 && !shape.depthwise; mbb++) {
    const owb = largestDivisor(width, Math.floor(budget / mbb));
    if (blocks % mbb === 0 && (owb >= 4 || owb === width) && fitsRegisters(info, mbb, owb, width) && score({ mbb, owb }) > score(best)) best = { mbb, owb };
  }
  best = withTailTile(info, shape.depthwise ? 1 : blocks, width, budget, best);
  const cores = Math.max(1, info.cores);
  const taskRows = largestDivisor(height, Math.max(1, Math.min(8, Math.floor(height / (4 * cores)))));
  // fewer row tasks than four per core leave cores idle at the end (7 rows on 2 cores: 4 + 3)
  const splitBlocks = info.threads && cores > 1 && height / taskRows < 4 * cores && blocks / best.mbb > 1;
  return { ...best, taskRows, padRows: padsRows(info, shape), ...reductionChunks(info, shape, best), ...(splitBlocks ? { splitBlocks } : {}) };
}

/**
 * Whether to materialize the padded input rows: yes where they copy as whole vectors. An input
 * block narrower than a vector (a first convolution's 3 channels) copies lane by lane on c, where
 * GCC leaves each bounds test a branch (-fno-tree-loop-if-convert, see compile.ts): det's 3 → 16
 * 3×3 stride-2 conv at 640² spent 2.05 ms with the copy against 0.72 ms reading the input
 * through its bounds tests, ResNet-50's 7×7 3 → 64 at 224² 1.72 against 1.19, VGG's 3×3 3 → 64
 * 2.66 against 0.98 (1 thread). A depthwise convolution reads each input vector only 9 times,
 * too few to repay the copy: det's nine depthwise kernels at 640² took 3.78 ms with it against
 * 2.82 ms through the bounds tests on 1 thread, 1.91 against 1.39 ms on 2 (each kernel 7–50%
 * faster). WebAssembly's copy ran 3–4% faster than the tests there.
 */
function padsRows(info: TargetInfo, shape: BlockedConvShape): boolean {
  if (info.name === 'wasm') return true;
  if (shape.depthwise) return false;
  const ci = shape.reduce?.[3];
  return ci === undefined || ci >= info.vectorBits / 32;
}

/**
 * Whether GCC keeps an `mbb` × `owb` tile in AVX-512's 32 registers. Four blocks of weight vectors
 * made it spill inside the reduction (ResNet-50's 4 × 7 tiles at 28² and 14² ran at 175 GFLOP/s
 * against 2 × 7's 205; SqueezeNet's 4 × 5 at 55² at half the speed of 2 × 5) except where one
 * tile spans the whole row (4 × 7 at 7²: 173 against 2 × 7's 141), and three blocks did past 24
 * accumulators (3 × 9 at 13²: 144 against 3 × 7's 212). WebAssembly and narrower vectors keep
 * their own budget.
 */
function fitsRegisters(info: TargetInfo, mbb: number, owb: number, width: number): boolean {
  if (info.name === 'wasm' || info.vectorBits < 512 || mbb <= 2 || owb === width) return true;
  return mbb === 3 && owb <= 8;
}

/**
 * Multiply-adds per load over a row of `width` columns in tiles of `mbb` blocks × `owb` columns,
 * the last tile narrower where `owb` does not divide the width: per reduction step each tile
 * loads mbb weight vectors and each column one broadcast.
 */
const rowScore = (t: { mbb: number; owb: number }, width: number): number => (t.mbb * width) / (Math.ceil(width / t.owb) * t.mbb + width);

/**
 * The widest tile within the accumulators, its last tile narrower (loop partitioning gives that
 * one its own copy), where it loads a quarter less per multiply-add than `best`, whose columns
 * divide the width: widths with only small divisors (SqueezeNet's 13, 27, 55 gave 1 × 1 to 1 × 5
 * tiles; GoogLeNet's 7 and 14, 1 × 7). WebAssembly has no broadcast memory operand, so each
 * column's broadcast is an instruction of its own (SqueezeNet's 13² 1×1 conv ran 5× faster); on
 * AVX-512 the broadcast folds into the FMA and only widths whose divisors leave a tile of 1–3
 * columns gain (SqueezeNet's first conv at 111²: 1 × 3 → 2 × 14), so the rule asks twice the gain.
 */
function withTailTile(info: TargetInfo, blocks: number, width: number, budget: number, best: { mbb: number; owb: number }): { mbb: number; owb: number } {
  let tail = best;
  for (let mbb = 1; mbb <= 4; mbb++) {
    let owb = Math.min(width, Math.floor(budget / mbb));
    while (owb > 4 && !fitsRegisters(info, mbb, owb, width)) owb--;
    if (blocks % mbb === 0 && owb >= 4 && fitsRegisters(info, mbb, owb, width) && rowScore({ mbb, owb }, width) > rowScore(tail, width)) tail = { mbb, owb };
  }
  const gain = info.name === 'wasm' ? 1.25 : 2;
  return rowScore(tail, width) > gain * rowScore(best, width) ? tail : best;
}

/** Bytes of accumulators (a row of `owc` columns × mbb blocks) that share L1 with a weight panel. */
const ACC_BUFFER_BYTES = 16 * 1024;

/**
 * Chunks of the channel reduction when a tile's weight panel (mbb blocks × all input channels ×
 * the window) would not stay in L1 across the tiles of a row: each chunk's panel fits half of L1,
 * leaving the rest to the input rows and the partial sums. A panel within L1 is not chunked: the
 * partial sums would cost more than they save (det's 1×1 384 → 360 at 20², 24 KiB, ran 15% slower).
 * WebAssembly keeps accumulators in locals only when their indices are constant, so it never
 * chunks (a buffer of accumulators would live in memory).
 */
function reductionChunks(info: TargetInfo, shape: BlockedConvShape, tile: { mbb: number; owb: number }): Pick<BlockedConvKnobs, 'rcbChunk' | 'owc'> {
  const [, , , width, co] = shape.out;
  // a row with a narrower last tile has no column chunk of whole tiles (SqueezeNet's 1×1 512 →
  // 1000 at 13², 3 × 8 + 3 × 5: 179 GFLOP/s chunked, 217 not)
  if (shape.depthwise || !shape.reduce || info.name === 'wasm' || width % tile.owb !== 0) return {};
  const [blocks, kh, kw, ci] = shape.reduce;
  const panel = (chunk: number): number => tile.mbb * chunk * kh * kw * ci * co * 4;
  if (panel(blocks) <= info.l1Bytes) return {};
  let rcbChunk = 1;
  for (let d = blocks; d > 1; d--) if (blocks % d === 0 && panel(d) <= info.l1Bytes / 2) { rcbChunk = d; break; }
  const rowBytes = (cols: number): number => tile.mbb * cols * co * 4;
  let owc = tile.owb;
  for (let c = width; c > tile.owb; c--) if (width % c === 0 && c % tile.owb === 0 && rowBytes(c) <= ACC_BUFFER_BYTES) { owc = c; break; }
  return { rcbChunk, owc };
}

const isBlockedConv = (st: Stage): boolean => st.tensor.op.kind === 'compute' && (st.tensor.op.tag === CONV || st.tensor.op.tag === DEPTHWISE) && st.tensor.ndim === 5;

/** The root stage `st` reads through inlined stages that is a blocked convolution, if any. */
function convFeeding(s: Schedule, st: Stage): Stage | null {
  const seen = new Set<number>();
  const todo = inputTensors(st.tensor);
  for (let t = todo.pop(); t; t = todo.pop()) {
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    const producer = s.stage(t);
    if (isBlockedConv(producer) && producer.attach.kind === 'root') return outputEpilogueOf(s, producer) === st ? producer : null;
    if (producer.attach.kind === 'inline') todo.push(...inputTensors(t));
  }
  return null;
}

/** The fused tail of `st` when it is the kernel's output (the tile computes it from registers). */
function outputEpilogueOf(s: Schedule, st: Stage): Stage | null {
  const tail = epilogueOf(s, st);
  return tail?.isOutput ? tail : null;
}

/** The padding stage the convolution reads its data through, when there is one. */
function padOf(s: Schedule, conv: Stage): Stage | null {
  const data = inputTensors(conv.tensor).map((t) => s.stage(t)).find((p) => p.tensor.op.kind === 'compute' && p.tensor.op.tag === 'pad');
  return data ?? null;
}

/**
 * Schedules `st` when it is a blocked convolution or the output of one's fused group; false
 * otherwise. A convolution read by its group's output is scheduled from that output (its tile
 * loops hold the accumulators), so visiting the convolution first only defers to it.
 */
export function scheduleBlocked(s: Schedule, st: Stage, target: TargetInfo): boolean {
  if (st.isOutput && st.tensor.op.kind === 'compute' && st.tensor.op.tag === CONCAT) return scheduleConcat(st, target);
  if (isBlockedConv(st) && !st.isOutput) return outputEpilogueOf(s, st) !== null;
  const conv = isBlockedConv(st) ? st : st.isOutput ? convFeeding(s, st) : null;
  if (conv === null || st.tensor.ndim !== 5) return false;
  const depthwise = conv.tensor.op.kind === 'compute' && conv.tensor.op.tag === DEPTHWISE;
  const reduce = conv.reduceAxis.map((r) => r.extent);
  scheduleBlockedConv(s, conv.tensor, st.tensor, defaultBlockedConvKnobs(target, { out: st.tensor.shape, depthwise, reduce }), target);
  return true;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The channel boundaries a lane-by-lane concatenation compares against (its `c < end` selects). */
function concatEnds(t: Tensor): number[] {
  const ends: number[] = [];
  if (t.op.kind === 'compute') {
    visit(t.op.body, (e) => {
      if (e.kind === 'cmp' && e.op === 'lt' && e.b.kind === 'int') ends.push(e.b.value);
    });
  }
  return ends;
}

/**
 * A lane-by-lane channel concatenation: with the channel blocks unrolled and the lanes split at
 * the largest run that no input boundary cuts, every select of its compute has a constant
 * condition and each run is one contiguous vector copy. False where no run is longer than a lane.
 */
function scheduleConcat(o: Stage, target: TargetInfo): boolean {
  const t = o.tensor;
  if (t.ndim !== 5) return false;
  const run = concatEnds(t).reduce(gcd, t.shape[4]);
  if (run < 2) return false;
  const [n, cb, h, w, lane] = o.axis as [IterVar, IterVar, IterVar, IterVar, IterVar];
  const [lo, li] = o.split(lane, { factor: run });
  o.reorder(n, h, w, cb, lo, li);
  const rows = o.fuse(n, h);
  o.unroll(cb);
  o.unroll(lo);
  o.vectorize(li);
  if (target.threads && rows.extent > 1 && t.shape.reduce((a, b) => a * b, 1) >= PARALLEL_MIN_ELEMENTS) o.parallel(rows);
  return true;
}

/**
 * The register-tiled schedule of blocked convolution `conv` whose fused group writes `out`
 * (`conv` itself when there is no epilogue).
 */
export function scheduleBlockedConv(s: Schedule, conv: Tensor, out: Tensor, knobs: BlockedConvKnobs, target: TargetInfo): void {
  const pad = padOf(s, s.stage(conv));
  // the accumulators live in registers ('local'); the convolution's own stage becomes a copy
  // that the output reads inlined, or the output itself when there is no epilogue
  const acc = s.stage(s.cacheWrite(conv, 'local'));
  if (conv !== out) s.stage(conv).computeInline();
  const o = s.stage(out);
  const [n, mb, oh, ow, lane] = o.axis as [IterVar, IterVar, IterVar, IterVar, IterVar];
  const [oho, ohi] = o.split(oh, { factor: knobs.taskRows });
  const [mbo, mbi] = o.split(mb, { factor: knobs.mbb });
  // a task is taskRows rows of every block, or of mbb blocks when tasks split blocks too
  const outer = knobs.splitBlocks ? [n, mbo, oho, ohi] : [n, oho, ohi, mbo];
  const chunk = knobs.rcbChunk ?? acc.reduceAxis[0].extent;
  if (chunk < acc.reduceAxis[0].extent) {
    const [owc, owr] = o.split(ow, { factor: knobs.owc ?? knobs.owb });
    const [owo, owi] = o.split(owr, { factor: knobs.owb });
    o.reorder(...outer, owc, owo, mbi, owi, lane);
    chunkReduction(s, acc, chunk, knobs.owb, o, owc, owo);
  } else {
    const [owo, owi] = o.split(ow, { factor: knobs.owb });
    o.reorder(...outer, owo, mbi, owi, lane);
    acc.computeAt(o, owo);
    registerTile(acc);
  }
  o.vectorize(lane);
  const task = knobs.splitBlocks ? o.fuse(mbo, oho) : oho;
  const elements = out.shape.reduce((a, b) => a * b, 1);
  if (target.threads && task.extent > 1 && elements >= PARALLEL_MIN_ELEMENTS) o.parallel(task);

  if (pad && knobs.padRows) {
    // tasks of blocks would each pad every input block of their rows: pad the (small) map once
    if (knobs.splitBlocks) pad.computeRoot();
    else pad.computeAt(o, task);
    const inner = pad.leafAxes()[pad.leafAxes().length - 1];
    if (inner.extent === Math.max(1, target.vectorBits / 32)) pad.vectorize(inner);
  }
}

/**
 * Reduce loops outside an unrolled tile of [..., mb, ow, lane] axes: the tile's FMAs column by
 * column, one broadcast feeding the block FMAs whose weight vector loads the compiler folds into
 * them, so no broadcast stays live across the tile (GCC spilled them when it ran block by block).
 */
function registerTile(st: Stage): void {
  const spatial = st.leafAxes().filter((a) => a.iterType === 'spatial');
  const [mb, , ow, lane] = spatial.slice(-4);
  const rest = spatial.slice(0, -4);
  st.reorder(...st.leafAxes().filter((a) => a.iterType === 'reduce'), ...rest, spatial[spatial.length - 3], ow, mb, lane);
  st.unroll(ow);
  st.unroll(mb);
  st.vectorize(lane);
}

/**
 * The reduction in chunks of `chunk` input-channel blocks (rfactor): per chunk, every tile of the
 * `owc` columns runs its register tile over the chunk's weight panel, which stays in L1, and
 * stores its partial sums to a buffer of [chunks, mbb, owc, lanes]; the tile the output writes
 * then adds the chunks' partials in registers.
 *
 *   for (owc)                                  o's column chunk: partial[chunks, mbb, owc, lanes]
 *     for (rcb.outer) for (ow tile)            the partial stage, one copy per tile …
 *       acc = 0; for (rcb.inner, ry, rx, rci) acc += …    … of its register tile
 *       partial[rcb.outer, tile] = acc
 *     for (ow tile): sum = Σ partial[:, tile]; out[tile] = epilogue(sum)
 */
function chunkReduction(s: Schedule, acc: Stage, chunk: number, owb: number, o: Stage, owc: IterVar, owo: IterVar): void {
  const [rcbo] = acc.split(acc.reduceAxis[0], { factor: chunk });
  const partial = s.stage(s.rfactor(acc.tensor, rcbo));
  const tile = s.stage(s.cacheWrite(partial.tensor, 'local'));
  partial.computeAt(o, owc);
  const [k, pn, pmb, poh, pow, plane] = partial.axis as [IterVar, IterVar, IterVar, IterVar, IterVar, IterVar];
  const [pwo, pwi] = partial.split(pow, { factor: owb });
  partial.reorder(k, pwo, pn, pmb, poh, pwi, plane);
  partial.vectorize(plane);
  tile.computeAt(partial, pwo);
  registerTile(tile);
  acc.computeAt(o, owo);
  registerTile(acc);
}
