/**
 * The tuner end to end, on the js target: an interrupted run resumes from its log (the default
 * and every trace already measured are not measured again by the search), except what an older
 * build measured (the default again, its fastest schedules first); a task's finalists and
 * default are timed again and ranked by their median; and a model run with its tuning records
 * uses the tuned schedule and computes what the untuned model computes.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InferenceSession } from '../../src/api/session.js';
import { tensorOf } from '../../src/graph/tensor.js';
import { toHostTensor } from '../../src/api/tensor.js';
import { bestRecords, buildFingerprint, medianMs, readRecords } from '../../src/tune/records.js';
import { traceKey } from '../../src/tune/search.js';
import { extractTasks, moduleTask } from '../../src/tune/task.js';
import { tune } from '../../src/tune/tuner.js';
import { maxAbsDiff, randomFloats, randomTensor } from '../api/helpers.js';
import { writeModel } from '../api/onnx-writer.js';

const FIXTURES = fileURLToPath(new URL('./fixtures.ts', import.meta.url));
const tmp = (name: string): string => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-tuner-')), name);
const QUICK = { timeoutMs: 20_000, repeat: 2, minSampleMs: 0.1 };

describe('tuner', () => {
  it('resumes from its log without measuring anything twice', async () => {
    const task = await moduleTask(FIXTURES, 'gemm', { m: 32, n: 32, k: 32 }, 'js');
    const records = tmp('log.jsonl');
    const opts = { target: 'js', threads: 1, records, timeBudgetMs: 600_000, trials: 3, batch: 3, recheck: 0, search: 'random', measure: QUICK } as const;
    const [first] = await tune([task], opts);
    const [second] = await tune([task], { ...opts, seed: 2 });
    expect([first.trials, second.trials]).toEqual([3, 3]);
    const log = readRecords(records).records;
    expect(log).toHaveLength(7);
    expect(log.filter((r) => r.origin === 'default')).toHaveLength(1);
    expect(new Set(log.map((r) => traceKey(r.steps))).size).toBe(7);
    expect(second.defaultMs).toBe(first.defaultMs);
    expect(second.bestMs).toBeLessThanOrEqual(first.bestMs!);
  }, 240_000);

  it('measures again what an older build measured: the default, then its fastest schedules', async () => {
    const task = await moduleTask(FIXTURES, 'gemm', { m: 32, n: 32, k: 32 }, 'js');
    const records = tmp('log.jsonl');
    const opts = { target: 'js', threads: 1, records, timeBudgetMs: 600_000, trials: 4, batch: 4, recheck: 0, search: 'random', measure: QUICK } as const;
    await tune([task], opts);
    // the log as an older build wrote it, its default's time absurd
    const old = readRecords(records).records.map((r) => ({ ...r, build: 'older', ms: r.origin === 'default' ? 1000 : r.ms }));
    fs.writeFileSync(records, old.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const [second] = await tune([task], { ...opts, trials: 3, seed: 2 });
    const fresh = readRecords(records).records.slice(old.length);
    expect(fresh.every((r) => r.build === buildFingerprint())).toBe(true);
    expect(fresh[0].origin).toBe('default');
    expect(second.defaultMs).toBe(fresh[0].ms);
    expect(second.defaultMs).toBeLessThan(1000);
    // then the older build's three fastest, within the trial cap
    const fastest = old.filter((r) => r.origin !== 'default' && r.ms !== null).sort((a, b) => a.ms! - b.ms!).slice(0, 3).map((r) => traceKey(r.steps));
    expect(fresh.slice(1, 1 + fastest.length).map((r) => traceKey(r.steps)).sort()).toEqual(fastest.sort());
    expect(second.trials).toBe(3);
  }, 240_000);

  it('times the finalists again beside the default and ranks every schedule by its median', async () => {
    const task = await moduleTask(FIXTURES, 'gemm', { m: 32, n: 32, k: 32 }, 'js');
    const records = tmp('log.jsonl');
    const [summary] = await tune([task], { target: 'js', threads: 1, records, timeBudgetMs: 600_000, trials: 4, batch: 4, recheck: 2, search: 'random', measure: QUICK });
    const log = readRecords(records).records;
    const byTrace = new Map<string, number[]>();
    for (const r of log) byTrace.set(traceKey(r.steps), [...(byTrace.get(traceKey(r.steps)) ?? []), r.ms!]);
    const counts = [...byTrace.values()].map((t) => t.length).sort();
    // the default and the 3 fastest of the 4 candidates: 1 + 2 measurements; the slowest candidate: 1
    expect(summary.trials).toBe(4);
    expect(counts).toEqual([1, 3, 3, 3, 3]);
    const def = log.find((r) => r.origin === 'default')!;
    expect(summary.defaultMs).toBe(medianMs(byTrace.get(traceKey(def.steps))!));
    const medians = [...byTrace.values()].filter((t) => t.length === 3).map(medianMs);
    expect(summary.bestMs).toBe(Math.min(...medians));
    expect(bestRecords(log).get(task.key)?.ms).toBe(summary.bestMs);
  }, 240_000);

  it('gives the budget to the tasks where the model spends most, never a small one in place of a larger', async () => {
    const [a, b, c] = await Promise.all([32, 40, 48].map((m) => moduleTask(FIXTURES, 'gemm', { m, n: 96, k: 96 }, 'js')));
    // a and b: equal shares of 8 s, 4 s each, too short for a round; a alone gets all 8 s. c is a tiny
    // part of the model: handing it what a and b leave would be the mistake
    const estimates = new Map([[a.key, 1], [b.key, 1], [c.key, 1e-6]]);
    const records = tmp('log.jsonl');
    const [sa, , sc] = await tune([a, b, c], { target: 'js', threads: 1, records, timeBudgetMs: 8_000, batch: 4, recheck: 0, search: 'random', estimates, measure: QUICK });
    // reached: its default is measured (on a busy machine starting the workers may leave no time for a round)
    expect(sa.defaultMs).toBeGreaterThan(0);
    expect(sc.defaultMs).toBeUndefined();
  }, 240_000);

  it('makes no task of a Concat that the plan replaces by writing its inputs into its output', async () => {
    const file = tmp('cat.onnx');
    const f32 = (name: string, shape: readonly number[]) => ({ name, dtype: 'float32' as const, shape });
    const w = (name: string, seed: number) => ({ name, tensor: tensorOf('float32', [8, 8, 1, 1], Array.from(randomFloats(64, seed))) });
    const model = (catInputs: string[]) =>
      writeModel({
        inputs: [f32('x', [1, 8, 6, 6])],
        outputs: [f32('y', [1, 8, 6, 6])],
        initializers: [w('w1', 1), w('w2', 2), { name: 'w3', tensor: tensorOf('float32', [8, 16, 1, 1], Array.from(randomFloats(128, 3))) }],
        nodes: [
          { op: 'Conv', inputs: ['x', 'w1'], outputs: ['a'] },
          { op: 'Conv', inputs: ['x', 'w2'], outputs: ['b'] },
          { op: 'Concat', inputs: catInputs, outputs: ['c'], attrs: { axis: { int: 1 } } },
          { op: 'Conv', inputs: ['c', 'w3'], outputs: ['y'] },
        ],
      });
    const input = [{ dtype: 'float32' as const, shape: [1, 8, 6, 6] }];
    fs.writeFileSync(file, model(['a', 'b']));
    expect((await extractTasks(file, input, 'js')).map((t) => t.label).join(' ')).not.toContain('Concat');
    // a repeated input keeps its copy, so its Concat is still a kernel to tune
    const copied = tmp('cat2.onnx');
    fs.writeFileSync(copied, model(['a', 'a']));
    expect((await extractTasks(copied, input, 'js')).map((t) => t.label).join(' ')).toContain('Concat');
  });

  it('a model run with its records uses the tuned schedules and matches the untuned outputs', async () => {
    const file = tmp('mlp.onnx');
    const f32 = (name: string, shape: readonly number[]) => ({ name, dtype: 'float32' as const, shape });
    fs.writeFileSync(
      file,
      writeModel({
        inputs: [f32('x', [24, 32])],
        outputs: [f32('y', [24, 16])],
        initializers: [{ name: 'w', tensor: tensorOf('float32', [32, 16], Array.from(randomFloats(32 * 16, 3))) }],
        nodes: [
          { op: 'MatMul', inputs: ['x', 'w'], outputs: ['t'] },
          { op: 'Relu', inputs: ['t'], outputs: ['y'] },
        ],
      }),
    );
    const tasks = await extractTasks(file, [{ dtype: 'float32', shape: [24, 32] }], 'js');
    const records = tmp('log.jsonl');
    await tune(tasks, { target: 'js', threads: 1, records, timeBudgetMs: 600_000, trials: 4, batch: 4, search: 'random', measure: QUICK });
    // only the tuned candidates: the session must replay one of them, not fall back to the default
    const tuned = readRecords(records).records.filter((r) => r.origin !== 'default' && r.ms !== null);
    expect(tuned.length).toBeGreaterThan(0);

    const warnings: string[] = [];
    const feeds = { x: randomTensor([24, 32], 5) };
    const plain = await InferenceSession.create(file, { target: 'js', threads: 1 });
    const withRecords = await InferenceSession.create(file, { target: 'js', threads: 1, tuningRecords: tuned, onWarning: (m) => warnings.push(m) });
    try {
      const [a, b] = [await plain.run(feeds), await withRecords.run(feeds)];
      const scale = Math.max(...Array.from(toHostTensor(a.y).data as Float32Array, Math.abs));
      expect(maxAbsDiff(b.y, a.y)).toBeLessThanOrEqual(1e-4 * scale + 1e-5);
      const [srcA, srcB] = [await plain.executor.prepare([toHostTensor(feeds.x)]), await withRecords.executor.prepare([toHostTensor(feeds.x)])];
      expect(srcB.source).not.toEqual(srcA.source);
      expect(warnings).toEqual([]);
    } finally {
      await plain.release();
      await withRecords.release();
    }
  }, 240_000);
});
