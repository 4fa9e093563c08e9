/**
 * @file The blocked NCHWc convolution strategy (src/strategy/cpu/conv2d-nchwc.ts) as a template:
 * the kernel is scheduled as the default schedule does it — injective stages inlined, the
 * convolution computed in the tiles of its fused group's output — with the strategy's knobs
 * searched instead of derived. The register tile (`mbb` channel blocks × `owb` columns) is one
 * knob (`2x8`) of the pairs that fit the vector registers and divide the output, plus per block
 * count the widest tile, whose last tile per row is narrower; `taskRows` runs
 * over the divisors of the output height, `padRows` and `splitBlocks` (tasks of channel blocks as
 * well as rows) over both choices, and for a convolution over
 * channels `rcbChunk` over the divisors of the input blocks (all of them: no chunking) with
 * `owcTiles`, the register tiles of columns whose accumulators wait between chunks. It applies to a kernel
 * whose only non-inlined computation is one blocked (or depthwise blocked) convolution feeding the
 * kernel's output through element-wise stages.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { Schedule, Stage } from '../../schedule/index.js';
import { createSchedule } from '../../schedule/index.js';
import type { BlockedConvKnobs, BlockedConvShape } from '../../strategy/cpu/conv2d-nchwc.js';
import { accumulators, defaultBlockedConvKnobs, scheduleBlockedConv } from '../../strategy/cpu/conv2d-nchwc.js';
import { epilogueOf } from '../../strategy/cpu/epilogue.js';
import { TuneError } from '../errors.js';
import type { Config } from '../space.js';
import { Space, choiceKnob, splitKnob } from '../space.js';
import type { TaskCompute } from '../task.js';
import type { Template } from './index.js';

const TAGS = new Set(['conv2d_nchwc', 'depthwise_conv2d_nchwc']);

interface Blocked {
  readonly s: Schedule;
  readonly conv: Stage;
  readonly out: Stage;
  readonly depthwise: boolean;
}

/** The schedule with injective stages inlined, and the blocked convolution it is built around. */
function blockedOf(k: TaskCompute): Blocked | null {
  const s = createSchedule(k.outputs);
  const convs = s.stages.filter((st) => st.tensor.op.kind === 'compute' && TAGS.has(st.tensor.op.tag) && st.tensor.ndim === 5);
  if (convs.length !== 1 || k.outputs.length !== 1) return null;
  for (const st of s.stages) if (!st.isPlaceholder && !st.isOutput && st.reduceAxis.length === 0) st.computeInline();
  const [conv] = convs;
  const out = conv.isOutput ? conv : epilogueOf(s, conv);
  if (!out?.isOutput || out.tensor.ndim !== 5) return null;
  // anything else left at the root would keep the default schedule's treatment, which this does not give
  const rest = s.stages.filter((st) => !st.isPlaceholder && st.attach.kind === 'root' && st !== conv && st !== out);
  if (rest.length > 0) return null;
  return { s, conv, out, depthwise: conv.tensor.op.kind === 'compute' && conv.tensor.op.tag === 'depthwise_conv2d_nchwc' };
}

const tileName = (mbb: number, owb: number): string => `${mbb}x${owb}`;

/** The strategy's shape of `b`: output, kind and (for a convolution over channels) reduce extents. */
function shapeOf(b: Blocked): BlockedConvShape {
  const shape = { out: b.out.tensor.shape, depthwise: b.depthwise, reduce: b.conv.reduceAxis.map((r) => r.extent) };
  return shape;
}

export const blockedConvTemplate: Template = {
  name: 'conv2d_nchwc',
  space(k: TaskCompute, target: TargetInfo): Space | null {
    const b = blockedOf(k);
    if (!b) return null;
    const [, blocks, height, width] = b.out.tensor.shape;
    const budget = accumulators(target);
    const tiles: string[] = [];
    for (let mbb = 1; mbb <= (b.depthwise ? 1 : Math.min(blocks, 6)); mbb++) {
      if (blocks % mbb !== 0) continue;
      const widest = Math.min(width, Math.floor(budget / mbb));
      for (let owb = 1; owb <= widest; owb++) if (width % owb === 0 || owb === widest) tiles.push(tileName(mbb, owb));
    }
    const knobs = [choiceKnob('tile', tiles), splitKnob('taskRows', height, 32), choiceKnob('padRows', [true, false]), choiceKnob('splitBlocks', [false, true])];
    if (b.depthwise) return new Space(knobs);
    // reduction chunks: all input blocks at once (accumulators in registers), or fewer, whose
    // accumulators for `owcTiles` register tiles of columns wait in a buffer between chunks
    const inBlocks = b.conv.reduceAxis[0].extent;
    return new Space([...knobs, splitKnob('rcbChunk', inBlocks), choiceKnob('owcTiles', [1, 2, 4, 8, 16])]);
  },
  apply(k: TaskCompute, config: Config, target: TargetInfo): Schedule {
    const b = blockedOf(k) ?? bad('the kernel is not one blocked convolution and its element-wise tail');
    const [mbb, owb] = String(config.tile).split('x').map(Number);
    const [, blocks, height, width] = b.out.tensor.shape;
    const taskRows = Number(config.taskRows);
    if (!(blocks % mbb === 0 && owb <= width && height % taskRows === 0)) bad(`tile ${String(config.tile)} rows ${taskRows} do not fit the output ${b.out.tensor.shape.join('x')}`);
    const chunks: Pick<BlockedConvKnobs, 'rcbChunk' | 'owc'> = {};
    const rcbChunk = Number(config.rcbChunk ?? 0);
    if (rcbChunk > 0 && rcbChunk < b.conv.reduceAxis[0].extent) {
      const owc = owb * Number(config.owcTiles ?? 1);
      if (width % owc !== 0) bad(`${String(config.owcTiles)} tiles of ${owb} columns do not divide the width ${width}`);
      Object.assign(chunks, { rcbChunk, owc });
    }
    const knobs: BlockedConvKnobs = { mbb, owb, taskRows, padRows: config.padRows === true, ...chunks, ...(config.splitBlocks === true ? { splitBlocks: true } : {}) };
    scheduleBlockedConv(b.s, b.conv.tensor, b.out.tensor, knobs, target);
    return b.s;
  },
};

/** The configuration of the strategy's default knobs for `k` (null where the template does not apply). */
export function defaultBlockedConfig(k: TaskCompute, target: TargetInfo): Config | null {
  const b = blockedOf(k);
  if (!b) return null;
  const d = defaultBlockedConvKnobs(target, shapeOf(b));
  const base = { tile: tileName(d.mbb, d.owb), taskRows: d.taskRows, padRows: d.padRows, splitBlocks: d.splitBlocks === true };
  if (b.depthwise) return base;
  const chunked = d.rcbChunk !== undefined && d.owc !== undefined;
  return { ...base, rcbChunk: chunked ? (d.rcbChunk ?? 0) : b.conv.reduceAxis[0].extent, owcTiles: chunked ? (d.owc ?? d.owb) / d.owb : 1 };
}

function bad(detail: string): never {
  throw new TuneError('template conv2d_nchwc', detail);
}
