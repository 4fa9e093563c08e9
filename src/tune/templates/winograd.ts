/**
 * @file The Winograd convolution (src/strategy/cpu/winograd.ts) as a template: a kernel whose one
 * reduction is a blocked 3×3, stride-1 convolution, feeding its output through element-wise
 * stages, can be computed as F(2×2, 3×3) or F(4×4, 3×3). One knob (`4x8x2`: tile m, then the
 * channel product's register tile of 8 tiles × 2 output-channel blocks) spans the tile sizes and
 * the register tiles that fit the vector registers and divide the row of tiles. The default
 * strategy never picks Winograd, so tuning is what turns it on, where it measures faster and
 * computes within the tolerance of the direct convolution's results.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { Schedule, Stage } from '../../schedule/index.js';
import { createSchedule, matchConv, WINOGRAD_TILES } from '../../schedule/index.js';
import { accumulators } from '../../strategy/cpu/conv2d-nchwc.js';
import { epilogueOf } from '../../strategy/cpu/epilogue.js';
import { scheduleWinogradConv } from '../../strategy/cpu/winograd.js';
import { TuneError } from '../errors.js';
import type { Config } from '../space.js';
import { Space, choiceKnob } from '../space.js';
import type { TaskCompute } from '../task.js';
import type { Template } from './index.js';

interface Found {
  readonly s: Schedule;
  readonly conv: Stage;
  readonly out: Stage;
}

/** The kernel's one blocked convolution that Winograd applies to, and the output its element-wise tail writes. */
function convOf(k: TaskCompute): Found | null {
  if (k.outputs.length !== 1) return null;
  const s = createSchedule(k.outputs);
  const reductions = s.stages.filter((st) => !st.isPlaceholder && st.reduceAxis.length > 0);
  if (reductions.length !== 1) return null;
  const [conv] = reductions;
  if (conv.tensor.op.kind !== 'compute' || conv.tensor.op.tag !== 'conv2d_nchwc' || typeof matchConv(conv) === 'string') return null;
  for (const st of s.stages) if (!st.isPlaceholder && !st.isOutput && st !== conv) st.computeInline();
  const out = conv.isOutput ? conv : epilogueOf(s, conv);
  return out?.isOutput ? { s, conv, out } : null;
}

export const winogradTemplate: Template = {
  name: 'winograd',
  space(k: TaskCompute, target: TargetInfo): Space | null {
    const found = convOf(k);
    if (!found) return null;
    const [, blocks, , width] = found.out.tensor.shape;
    const budget = accumulators(target);
    const choices: string[] = [];
    for (const m of WINOGRAD_TILES) {
      const tiles = Math.ceil(width / m);
      for (let mbb = 1; mbb <= Math.min(blocks, 4); mbb++) {
        if (blocks % mbb !== 0) continue;
        for (let twb = 1; twb <= Math.min(tiles, Math.floor(budget / mbb)); twb++) if (tiles % twb === 0) choices.push(`${m}x${twb}x${mbb}`);
      }
    }
    return new Space([choiceKnob('winograd', choices)]);
  },
  apply(k: TaskCompute, config: Config, target: TargetInfo): Schedule {
    const found = convOf(k) ?? bad('the kernel is not one blocked 3×3, stride-1 convolution and its element-wise tail');
    const [tile, twb, mbb] = String(config.winograd).split('x').map(Number);
    const [, blocks, , width] = found.out.tensor.shape;
    if (!(WINOGRAD_TILES.includes(tile) && blocks % mbb === 0 && Math.ceil(width / tile) % twb === 0)) bad(`${String(config.winograd)} does not fit the output ${found.out.tensor.shape.join('x')}`);
    // a fresh schedule: the primitive needs the convolution pristine, before the inlining above
    const s = createSchedule(k.outputs);
    const conv = s.stages.find((st) => st.name === found.conv.name)!;
    const out = s.stages.find((st) => st.name === found.out.name)!;
    scheduleWinogradConv(s, conv.tensor, out.tensor, { tile, twb, mbb }, target);
    return s;
  },
};

function bad(detail: string): never {
  throw new TuneError('template winograd', detail);
}
