/**
 * `kiln tune` as users run it (bin/kiln.js in a child process): a bad command line is a usage
 * error (exit 2) naming the option; a short tuning run of a small model prints the per-task table,
 * writes the records, and `kiln run --records` runs the model with them (`kiln compare --records`
 * also times the untuned model). The model's estimated
 * speed-up counts the profiled time of tasks the budget did not reach. The final check times a
 * tuned schedule and the default inside the model and logs those times, which then rank them.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/api/tensor.js';
import { checkInModel } from '../../src/cli/tune-check.js';
import { modelEstimate } from '../../src/cli/tune.js';
import { tensorOf } from '../../src/graph/tensor.js';
import { defaultSchedule } from '../../src/runtime/schedule.js';
import { printSteps } from '../../src/schedule/index.js';
import type { Task } from '../../src/tune/task.js';
import { extractTasks } from '../../src/tune/task.js';
import { templatesFor } from '../../src/tune/templates/index.js';
import type { TaskSummary } from '../../src/tune/tuner.js';
import { KILN_VERSION, appendRecord, bestRecords, readRecords } from '../../src/tune/records.js';
import { writeModel } from '../api/onnx-writer.js';
import { kilnWithin } from '../cli/launcher.js';


const kiln = kilnWithin(180_000);

const f32 = (name: string, shape: readonly number[]) => ({ name, dtype: 'float32' as const, shape });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-tune-cli-'));
const model = path.join(dir, 'mm.onnx');
fs.writeFileSync(
  model,
  writeModel({
    inputs: [f32('x', [8, 16])],
    outputs: [f32('y', [8, 8])],
    initializers: [{ name: 'w', tensor: tensorOf('float32', [16, 8], Array.from({ length: 128 }, (_, i) => Math.cos(i))) }],
    nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
  }),
);

describe('kiln tune', () => {
  it('requires --records and a valid --time-budget', async () => {
    const [noRecords, badBudget] = await Promise.all([kiln('tune', model), kiln('tune', model, '--records', 'r.jsonl', '--time-budget', 'soon')]);
    expect(noRecords.status).toBe(2);
    expect(noRecords.stderr).toContain('kiln tune: --records FILE is required');
    expect(badBudget.status).toBe(2);
    expect(badBudget.stderr).toContain('--time-budget must be a duration like 90s, 10m or 1h, got "soon"');
  }, 60_000);

  it('tunes, prints the table, and kiln run uses the records', async () => {
    const records = path.join(dir, 'log.jsonl');
    const tuned = await kiln('tune', model, '--target', 'js', '--threads', '1', '--trials', '2', '--time-budget', '10m', '--records', records);
    expect(tuned.stderr).not.toContain('internal error');
    expect(tuned.status).toBe(0);
    expect(tuned.stdout).toMatch(/^model .*: 1 tasks \(1 kernels\) on js, 1 thread, budget 600 s$/m);
    expect(tuned.stdout).toMatch(/^k0 MatMul 8x8 +1 +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +2 +[\d.]+ {2}\S+$/m);
    expect(tuned.stdout).toMatch(/^estimated speed-up of the model .*: [\d.]+ → [\d.]+ ms, [\d.]+x$/m);
    expect(readRecords(records)).toMatchObject({ problems: [] });
    // the default and 2 candidates, then those 3 timed twice more (the finalists' recheck)
    expect(readRecords(records).records.filter((r) => r.measured === undefined)).toHaveLength(9);
    const run = await kiln('run', model, '--target', 'js', '--threads', '1', '--repeat', '1', '--records', records);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('output "y": float32[8, 8]');
    // compare --records times the untuned model beside the tuned one
    const compared = await kiln('compare', model, '--target', 'js', '--threads', '1', '--repeat', '2', '--records', records, '--json');
    expect(compared.status).toBe(0);
    const report = JSON.parse(compared.stdout) as { ok: boolean; kiln_ms: number; untuned_ms: number; tuned_ratio: number };
    expect(report.ok).toBe(true);
    expect(report.untuned_ms).toBeGreaterThan(0);
    expect(report.tuned_ratio).toBeCloseTo(report.kiln_ms / report.untuned_ms, 12);
    const text = await kiln('compare', model, '--target', 'js', '--threads', '1', '--repeat', '1', '--records', records);
    expect(text.stdout).toMatch(/^kiln untuned [\d.]+ ms {2}ratio tuned\/untuned [\d.]+$/m);
  }, 240_000);

  it('estimates the model from its profile: a tuned task scaled by tuned/default, the rest as they were', () => {
    const row = (key: string, defaultMs: number | null | undefined, bestMs: number | null): TaskSummary =>
      ({ task: { key } as Task, defaultMs, bestMs, bestOrigin: null, trials: 0, seconds: 0 });
    const profiled = new Map([['a', 10], ['b', 30], ['c', 5], ['d', 1]]);
    // a: 2x faster; b: not reached; c: tuned but the default stayed best (a slower best counts as the default); d: its default failed
    const rows = [row('a', 2, 1), row('b', undefined, null), row('c', 1, 1.5), row('d', null, 0.5)];
    expect(modelEstimate(rows, profiled)).toEqual({ before: 46, after: 41 });
  });

  it('times the best schedule alone against the default inside the model, and logs what ranks them', async () => {
    const records = path.join(dir, 'check.jsonl');
    const tasks = await extractTasks(model, [{ dtype: 'float32', shape: [8, 16] }], 'js');
    const [task] = tasks;
    const def = defaultSchedule(task.build().outputs, task.target).steps;
    const { template, space } = templatesFor(task.build(), task.target)[0];
    const steps = Array.from({ length: space.size }, (_, i) => template.apply(task.build(), space.at(i), task.target).steps).find((s) => printSteps(s) !== printSteps(def))!;
    // a made-up log in which the template's schedule, timed alone, is 10x the default's speed
    const rec = { task: task.key, target: 'js', threads: 1, version: KILN_VERSION, time: '2026-11-27T10:00:00.000Z' };
    appendRecord(records, { ...rec, origin: 'default', steps: def, ms: 1 });
    appendRecord(records, { ...rec, origin: 'template:matmul', steps, ms: 0.1 });
    const x = new Tensor('float32', Float32Array.from({ length: 128 }, (_, i) => Math.sin(i)), [8, 16]);
    const check = (await checkInModel(model, [x], 'js', 1, tasks, records, 3))!;
    expect(check.rows).toHaveLength(1);
    const [row] = check.rows;
    expect(row.alone).toEqual([1, 0.1]);
    expect(row.inModel.every((ms) => ms > 0 && ms < 1000)).toBe(true);
    const inModel = readRecords(records).records.filter((r) => r.measured === 'model');
    expect(inModel.map((r) => [r.origin, printSteps(r.steps), r.ms])).toEqual([
      ['default', printSteps(def), row.inModel[0]],
      ['template:matmul', printSteps(steps), row.inModel[1]],
    ]);
    // the times inside the model decide, whichever schedule was faster alone
    const best = bestRecords(readRecords(records).records, 1).get(task.key)!;
    expect(best.measured).toBe('model');
    expect(best.ms).toBe(Math.min(...row.inModel));
  }, 120_000);
});
