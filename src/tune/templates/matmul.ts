/**
 * @file The CPU GEMM strategy (src/strategy/cpu/matmul.ts) as a template: its register tile
 * (mr × nr) and panel width (nc) become knobs. It applies to a kernel whose only output is a 2-D
 * float32 matmul over two inputs; mr and nc divide M and N exactly, so no tile needs a guard.
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
    const widths = [1, 2, 3, 4].map((v) => v * lanes).filter((nr) => gemm.n % nr === 0);
    if (widths.length === 0) return null;
    return new Space([
      splitKnob('mr', gemm.m, 12),
      choiceKnob('nr', widths),
      // panel width in register tiles
      choiceKnob('panel', [1, 2, 4, 8, 16]),
    ]);
  },
  apply(k: TaskCompute, config: Config, target: TargetInfo): Schedule {
    const gemm = gemmOf(k) ?? bad('the kernel is not a single matmul');
    const { lanes } = defaultMatmulKnobs(target);
    const [mr, nr, panel] = [config.mr, config.nr, config.panel].map(Number);
    const nc = nr * panel;
    if (gemm.n % nc !== 0) bad(`panel width ${nc} does not divide N=${gemm.n}`);
    const s = createSchedule(k.outputs);
    scheduleMatmul(s, k.outputs[0], { mr, nr, lanes, nc });
    return s;
  },
};

function bad(detail: string): never {
  throw new TuneError('template matmul', detail);
}
