/**
 * @file The NCHW convolution strategy (src/strategy/cpu/conv2d.ts, depthwise knobs from
 * depthwise.ts) as a template: the kernel is scheduled as the default schedule does it — the pad
 * stage materialized per task, other injective stages inlined, the convolution computed in the
 * tiles of its fused group's output — with the knobs searched. The register tile is one knob
 * (`mb x ohb x vectors`, or `mb x ohb x flat` for a tile of whole rows where the default uses one)
 * of the tiles whose accumulators fit the vector registers; `lanes` runs over the strategy's
 * vector widths, `taskRows` over multiples of the tile's rows, `unrollKernel` over both choices.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { Schedule, Stage } from '../../schedule/index.js';
import { createSchedule } from '../../schedule/index.js';
import type { Conv2dKnobs } from '../../strategy/cpu/conv2d.js';
import { convData, convShapeOf, defaultConv2dKnobs, isConv2d, scheduleConv2d } from '../../strategy/cpu/conv2d.js';
import { accumulators } from '../../strategy/cpu/conv2d-nchwc.js';
import { defaultDepthwiseKnobs } from '../../strategy/cpu/depthwise.js';
import { epilogueOf } from '../../strategy/cpu/epilogue.js';
import { TuneError } from '../errors.js';
import type { Config } from '../space.js';
import { Space, choiceKnob } from '../space.js';
import type { TaskCompute } from '../task.js';
import type { Template } from './index.js';

interface Conv {
  readonly s: Schedule;
  readonly conv: Stage;
  readonly out: Stage;
  readonly pad: Stage | null;
}

/** The schedule with the default's inlining, and the NCHW convolution it is built around. */
function convOf(k: TaskCompute): Conv | null {
  if (k.outputs.length !== 1) return null;
  const s = createSchedule(k.outputs);
  const convs = s.stages.filter(isConv2d);
  if (convs.length !== 1) return null;
  const [conv] = convs;
  const data = s.stage(convData(conv.tensor));
  const pad = !data.isPlaceholder && data.tensor.op.kind === 'compute' && data.tensor.op.tag === 'pad' && s.readers(data).length === 1 ? data : null;
  for (const st of s.stages) if (!st.isPlaceholder && !st.isOutput && st.reduceAxis.length === 0 && st !== pad) st.computeInline();
  const out = conv.isOutput ? conv : epilogueOf(s, conv);
  if (!out?.isOutput) return null;
  const rest = s.stages.filter((st) => !st.isPlaceholder && st.attach.kind === 'root' && st !== conv && st !== out && st !== pad);
  return rest.length === 0 ? { s, conv, out, pad } : null;
}

function defaultsOf(c: Conv, target: TargetInfo): Conv2dKnobs {
  const shape = convShapeOf(c.conv.tensor);
  return shape.depthwise ? defaultDepthwiseKnobs(target, shape) : defaultConv2dKnobs(target, shape);
}

export const conv2dTemplate: Template = {
  name: 'conv2d',
  space(k: TaskCompute, target: TargetInfo): Space | null {
    const c = convOf(k);
    if (!c) return null;
    const shape = convShapeOf(c.conv.tensor);
    const defaults = defaultsOf(c, target);
    const full = Math.max(1, target.vectorBits / 32);
    const laneChoices = defaults.lanes === 1 ? [1] : [full, full / 2, full / 4].filter((l) => l >= 4 || l === full);
    const budget = accumulators(target);
    const tiles: string[] = [];
    for (let mb = 1; mb <= (shape.depthwise ? 1 : Math.min(8, shape.outChannels)); mb++) {
      for (let ohb = 1; ohb <= Math.min(8, shape.outHeight); ohb++) {
        for (let nv = 1; mb * ohb * nv <= budget && nv <= 8; nv++) tiles.push(`${mb}x${ohb}x${nv}`);
        if (defaults.flatRows && mb <= budget) tiles.push(`${mb}x${ohb}xflat`);
      }
    }
    return new Space([
      choiceKnob('tile', tiles),
      choiceKnob('lanes', laneChoices),
      choiceKnob('bandTiles', [1, 2, 4, 8, 16]),
      choiceKnob('unrollKernel', [true, false]),
    ]);
  },
  apply(k: TaskCompute, config: Config, target: TargetInfo): Schedule {
    const c = convOf(k) ?? bad('the kernel is not one NCHW convolution and its element-wise tail');
    const [mb, ohb, vectors] = String(config.tile).split('x');
    const lanes = Number(config.lanes);
    const flatRows = vectors === 'flat';
    const shape = convShapeOf(c.conv.tensor);
    if (flatRows && (shape.outHeight * shape.outWidth) % lanes !== 0) bad(`flat rows of width ${shape.outWidth} are not whole vectors of ${lanes}`);
    const knobs: Conv2dKnobs = {
      ...defaultsOf(c, target),
      lanes,
      mb: Number(mb),
      ohb: Number(ohb),
      owb: flatRows ? shape.outWidth : Number(vectors) * lanes,
      taskRows: Number(ohb) * Number(config.bandTiles),
      unrollKernel: config.unrollKernel === true,
      flatRows,
    };
    scheduleConv2d(c.s, c.conv.tensor, c.out.tensor, c.pad?.tensor ?? null, knobs, target);
    return c.s;
  },
};

function bad(detail: string): never {
  throw new TuneError('template conv2d', detail);
}
