/**
 * @file The CPU GEMM strategy (src/strategy/cpu/matmul.ts) as a template: its register tile
 * (mr × nr) and panel width (nc) become knobs, nr and nc as one `panel` knob (`32x128`) of the
 * pairs that tile N. It applies to a kernel whose only output is a 2-D float32 matmul over two
 * inputs; mr and nc divide M and N exactly, so no tile needs a guard.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { Schedule } from '../../schedule/index.js';
import { createSchedule } from '../../schedule/index.js';
import { defaultMatmulKnobs, scheduleMatmul } from '../../strategy/cpu/matmul.js';
import { inputTensors } from '../../te/tensor.js';
import { TuneError } from '../errors.js';
import type { Config } from '../space.js';
import { Space, choiceKnob, splitKnob } from '../space.js';
import type { TaskCompute } from '../task.js';
import type { Template } from './index.js';

function gemmOf(k: TaskCompute): { m: number; n: number } | null {
  if (k.outputs.length !== 1) return null;
  const C = k.outputs[0];
  if (C.op.kind !== 'compute' || C.op.tag !== 'matmul' || C.ndim !== 2 || C.dtype !== 'float32' || C.op.reduceAxis.length !== 1) return null;
  const reads = inputTensors(C);
  if (reads.length !== 2 || reads.some((t) => t.op.kind !== 'placeholder')) return null;
  return { m: C.shape[0], n: C.shape[1] };
}

export const matmulTemplate: Template = {
  name: 'matmul',
  space(k: TaskCompute, target: TargetInfo): Space | null {
    const gemm = gemmOf(k);
    if (!gemm) return null;
    const { lanes } = defaultMatmulKnobs(target);
    // register tile width × panel width (in tiles), as one knob: only pairs that divide N
    const panels = [1, 2, 3, 4].flatMap((v) => [1, 2, 4, 8, 16].map((p) => ({ nr: v * lanes, nc: v * lanes * p })));
    const valid = panels.filter(({ nc }) => gemm.n % nc === 0).map(({ nr, nc }) => `${nr}x${nc}`);
    if (valid.length === 0) return null;
    return new Space([splitKnob('mr', gemm.m, 12), choiceKnob('panel', valid)]);
  },
  apply(k: TaskCompute, config: Config, target: TargetInfo): Schedule {
    const gemm = gemmOf(k) ?? bad('the kernel is not a single matmul');
    const { lanes } = defaultMatmulKnobs(target);
    const mr = Number(config.mr);
    const [nr, nc] = String(config.panel).split('x').map(Number);
    if (!(gemm.n % nc === 0 && nc % nr === 0 && nr % lanes === 0)) bad(`panel ${String(config.panel)} does not tile N=${gemm.n} in vectors of ${lanes}`);
    const s = createSchedule(k.outputs);
    scheduleMatmul(s, k.outputs[0], { mr, nr, lanes, nc });
    return s;
  },
};

function bad(detail: string): never {
  throw new TuneError('template matmul', detail);
}
