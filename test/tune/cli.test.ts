/**
 * `kiln tune` as users run it (bin/kiln.js in a child process): a bad command line is a usage
 * error (exit 2) naming the option; a short tuning run of a small model prints the per-task table,
 * writes the records, and `kiln run --records` runs the model with them. The model's estimated
 * speed-up counts the profiled time of tasks the budget did not reach.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelEstimate } from '../../src/cli/tune.js';
import { tensorOf } from '../../src/graph/tensor.js';
import type { Task } from '../../src/tune/task.js';
import type { TaskSummary } from '../../src/tune/tuner.js';
import { readRecords } from '../../src/tune/records.js';
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
    expect(readRecords(records).records).toHaveLength(9);
    const run = await kiln('run', model, '--target', 'js', '--threads', '1', '--repeat', '1', '--records', records);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('output "y": float32[8, 8]');
  }, 240_000);

  it('estimates the model from its profile: a tuned task scaled by tuned/default, the rest as they were', () => {
    const row = (key: string, defaultMs: number | null | undefined, bestMs: number | null): TaskSummary =>
      ({ task: { key } as Task, defaultMs, bestMs, bestOrigin: null, trials: 0, seconds: 0 });
    const profiled = new Map([['a', 10], ['b', 30], ['c', 5], ['d', 1]]);
    // a: 2x faster; b: not reached; c: tuned but the default stayed best (a slower best counts as the default); d: its default failed
    const rows = [row('a', 2, 1), row('b', undefined, null), row('c', 1, 1.5), row('d', null, 0.5)];
    expect(modelEstimate(rows, profiled)).toEqual({ before: 46, after: 41 });
  });
});
