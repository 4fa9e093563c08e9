/**
 * @file The schedule every model kernel gets until per-op strategies (src/strategy) take over:
 * one function, `defaultSchedule(outputs, target)`, so replacing it touches nothing else.
 *
 * - Injective intermediates (padding, broadcasts, the element-wise ops of a fused group) are
 *   inlined into their readers: they cost a few instructions per read and no memory traffic.
 *   Reductions stay at the root, computed whole before their readers.
 * - A 2-D convolution on the NCHW layout gets the register-tiled direct convolution
 *   (src/strategy/cpu/conv2d.ts; depthwise knobs in depthwise.ts): its pad stage is materialized
 *   per task instead of inlined, and the convolution is computed inside the tiles of its fused
 *   group's output, so the bias and element-wise tail run on registers.
 * - A 2-D window pool on NCHW gets src/strategy/cpu/pool.ts: its padded rows materialized per
 *   task, one vector of outputs per register, the average's divisor computed from it.
 * - A matrix product (MatMul, Gemm, batched) gets src/strategy/cpu/matmul.ts: a GEMV for one
 *   output row, else the register-tiled GEMM inside its fused group's element-wise tail.
 * - Every other root stage runs its outer spatial loops fused and parallel (when the target has
 *   threads and the stage is big enough to pay for waking them) and its innermost spatial loop
 *   vectorized by the target's lanes. A reduction accumulates in a `local` stage computed inside
 *   each iteration of that outer loop, with its reduce loops outside the vector lanes: each lane
 *   sums its own output element in a register, and the output is written once.
 */

import type { TargetInfo } from '../codegen/target.js';
import { bytesOf } from '../ir/dtype.js';
import type { IterVar } from '../ir/expr.js';
import type { Schedule, Stage } from '../schedule/index.js';
import { createSchedule } from '../schedule/index.js';
import { convData, convShapeOf, defaultConv2dKnobs, isConv2d, scheduleConv2d } from '../strategy/cpu/conv2d.js';
import { scheduleBlocked } from '../strategy/cpu/conv2d-nchwc.js';
import { epilogueOf } from '../strategy/cpu/epilogue.js';
import { defaultDepthwiseKnobs } from '../strategy/cpu/depthwise.js';
import { isProduct, scheduleProduct } from '../strategy/cpu/matmul.js';
import { isPool, poolPad, schedulePool } from '../strategy/cpu/pool.js';
import type { Tensor } from '../te/tensor.js';

/**
 * Below this many output elements a stage runs on one thread. Handing a loop to a worker that
 * is still spinning costs about a microsecond (bench/c-region.ts); a worker spins 1 ms after its
 * last region (src/codegen/c/pool.ts), so within a run it is nearly always spinning, and a copy
 * of 2^15 floats takes 10-20 µs. Layout transforms of that size are what this decides: with
 * 2^18, bench rows at 2 threads, two alternations each (kiln / onnxruntime-node):
 * conv1x1_384_360_20 1.56 and 1.22, conv3x3_64_64_56 1.33 and 1.18, ResNet-50 1.30 and 1.30;
 * with 2^15, 1.16 and 1.12, 1.20 and 1.06, 1.26 and 1.22; SqueezeNet and ShuffleNet alike. A
 * target whose runtime gates parallel loops by their work (wasm) decides at run time instead.
 */
const PARALLEL_MIN_ELEMENTS = 1 << 15;

export function defaultSchedule(outputs: readonly Tensor[], target: TargetInfo): Schedule {
  const s = createSchedule(outputs);
  const convs = s.stages.filter(isConv2d);
  const pools = s.stages.filter(isPool);
  const pads = new Set([...convs.map((c) => paddedInput(s, c)), ...pools.map((p) => poolPad(s, p))].filter((p) => p !== null));
  for (const st of s.stages) {
    if (!st.isPlaceholder && !st.isOutput && st.reduceAxis.length === 0 && !pads.has(st)) st.computeInline();
  }
  const done = new Set<Stage>(pads);
  // a snapshot: the GEMM and convolution schedules add cache stages to the list
  for (const st of [...s.stages]) {
    if (st.isPlaceholder || st.attach.kind !== 'root' || done.has(st)) continue;
    if (scheduleBlocked(s, st, target)) continue;
    if (convs.includes(st)) done.add(scheduleConv(s, st, paddedInput(s, st), target));
    else if (pools.includes(st)) done.add(schedulePool(s, st, poolPad(s, st), target));
    else if (isProduct(st)) done.add(scheduleProduct(s, st, target));
    else scheduleLoops(s, st, target);
  }
  return s;
}

/** The pad stage a convolution reads, when only the convolution reads it. */
function paddedInput(s: Schedule, conv: Stage): Stage | null {
  const data = s.stage(convData(conv.tensor));
  if (data.isPlaceholder || data.tensor.op.kind !== 'compute' || data.tensor.op.tag !== 'pad') return null;
  const readers = s.readers(data);
  return readers.length === 1 && readers[0] === conv ? data : null;
}

/**
 * The convolution's register-tiled schedule, computed inside the tiles of the output of its fused
 * group when that is its only (element-wise, same-shaped) reader. Returns the stage it scheduled.
 */
function scheduleConv(s: Schedule, conv: Stage, pad: Stage | null, target: TargetInfo): Stage {
  const out = conv.isOutput ? conv : (epilogueOf(s, conv) ?? conv);
  const shape = convShapeOf(conv.tensor);
  const knobs = shape.depthwise ? defaultDepthwiseKnobs(target, shape) : defaultConv2dKnobs(target, shape);
  scheduleConv2d(s, conv.tensor, out.tensor, pad?.tensor ?? null, knobs, target);
  return out;
}

/** Fused parallel outer loop, reduce loops, vectorized inner loop (each where it applies). */
function scheduleLoops(s: Schedule, st: Stage, target: TargetInfo): void {
  const spatial = [...st.axis];
  const inner = spatial.pop();
  if (inner === undefined) return;
  const lanes = Math.max(1, target.vectorBits / 8 / bytesOf(st.tensor.dtype));
  const lastReduce = st.reduceAxis.at(-1);
  if (lanes > 1 && inner.extent < lanes && lastReduce && lastReduce.extent >= 2 * lanes) {
    reduceInLanes(s, st, target, lanes);
    return;
  }
  const acc = st.reduceAxis.length > 0 ? s.stage(s.cacheWrite(st.tensor, 'local')) : null;
  const vectorLoop = inner.extent >= lanes && lanes > 1 ? st.split(inner, { factor: lanes }) : null;
  // A partial last vector keeps the vector loop's outer part a loop of its own, which
  // tir.loopPartition cuts off; fused with the outer loops, it would keep every vector serial.
  // So does a row of whole vectors when there are outer loops to run in parallel: fused, every
  // vector would recompute its indices by division (a channel shuffle's: 5× slower).
  const rows = extentOf(spatial);
  const separate = vectorLoop !== null && (inner.extent % lanes !== 0 || rows > 1);
  const outer: IterVar[] = vectorLoop && !separate ? [...spatial, vectorLoop[0]] : spatial;
  // The same holds one level up when a row is only a few vectors (a blocked layout's block of
  // channels): the axes above it stay serial loops too, so their indices are stepped, not divided
  // out of a fused counter (det's blocked depth-to-space: 1.10 → 0.99 ms), as long as the fused
  // outer loop keeps enough iterations to share between threads.
  if (separate) {
    let vectors = vectorLoop[0].extent;
    while (outer.length > 1 && vectors < FEW_VECTORS && extentOf(outer.slice(0, -1)) >= MIN_PARALLEL_ITERATIONS * target.cores) {
      vectors *= outer.pop()!.extent;
    }
  }
  const fused = outer.length > 1 ? st.fuse(...outer) : outer[0];
  if (vectorLoop) st.vectorize(vectorLoop[1]);
  const elements = st.tensor.shape.reduce((n, d) => n * d, 1);
  const threaded = fused ?? vectorLoop?.[0];
  if (threaded && target.threads && threaded.extent > 1 && elements >= (target.parallelMinWork ?? PARALLEL_MIN_ELEMENTS)) st.parallel(threaded);
  const at = separate ? vectorLoop[0] : fused;
  if (acc && at) accumulate(acc, st, at, vectorLoop !== null);
}

/** A row of fewer vectors than this keeps the axes above it serial (see scheduleLoops). */
const FEW_VECTORS = 8;
/** Iterations per thread the fused parallel loop keeps, so chunks balance between threads. */
const MIN_PARALLEL_ITERATIONS = 8;

function extentOf(axes: readonly IterVar[]): number {
  return axes.reduce((n, a) => n * a.extent, 1);
}

/**
 * A reduction accumulates in registers: its `local` stage is computed inside each iteration of
 * the output's outer loop, reduce loops outside the lanes of its innermost axis.
 */
function accumulate(acc: Stage, st: Stage, at: IterVar, vector: boolean): void {
  acc.computeAt(st, at);
  const spatial = [...acc.axis];
  const inner = spatial.pop()!;
  acc.reorder(...spatial, ...acc.reduceAxis, inner);
  if (vector) acc.vectorize(inner);
}

/** Below this many multiply-adds (or loads) in all, a reduction runs on one thread (see above). */
const PARALLEL_MIN_WORK = 1 << 19;

/**
 * A reduction whose outputs are too few along their innermost axis to fill a vector (global
 * pooling, a row's max or sum) reduces along its own innermost axis instead: that axis is split
 * by the lanes and rfactored, so each output first sums `lanes` partial results, one per lane, over
 * contiguous vector loads, then adds the lanes up.
 *
 *   out.rf[l, i] = Σ_{r.outer} x[i, r.outer·lanes + l]      (vectorized over l)
 *   out[i] = Σ_l out.rf[l, i]
 */
function reduceInLanes(s: Schedule, st: Stage, target: TargetInfo, lanes: number): void {
  const [, laneAxis] = st.split(st.reduceAxis[st.reduceAxis.length - 1], { factor: lanes });
  const partial = s.stage(s.rfactor(st.tensor, laneAxis));
  const outer = st.leafAxes().filter((a) => a.iterType === 'spatial');
  const fused = outer.length > 1 ? st.fuse(...outer) : outer[0];
  const work = st.tensor.shape.reduce((n, d) => n * d, 1) * partial.reduceAxis.reduce((n, r) => n * r.extent, lanes);
  if (target.threads && fused.extent > 1 && work >= (target.parallelMinWork ?? PARALLEL_MIN_WORK)) st.parallel(fused);
  partial.computeAt(st, fused);
  const l = partial.axis[0];
  partial.reorder(...partial.reduceAxis, l);
  partial.vectorize(l);
}
