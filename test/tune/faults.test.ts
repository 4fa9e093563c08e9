/**
 * Tuning survives bad candidates. A test-only build hook (fixtures.ts) makes the measuring
 * workers crash (abort while building), hang (a kernel that never returns), compute a wrong
 * element, or throw, chosen by the register-tile rows of the matmul template. A grid search over
 * that template measures every one of them: each fault ends as a failed record with its reason,
 * the healthy candidates are timed, and the best record is a healthy one.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bestRecords, readRecords } from '../../src/tune/records.js';
import { moduleTask } from '../../src/tune/task.js';
import { tune } from '../../src/tune/tuner.js';
import { mrOf } from './fixtures.js';

const FIXTURES = fileURLToPath(new URL('./fixtures.ts', import.meta.url));

describe('fault injection', () => {
  it('records crashes, hangs, wrong results and build errors as failures and keeps tuning', async () => {
    // M = 60: the template's mr knob runs 1, 2, 3, 4, 5, 6, 10, 12 (the grid's first numbers);
    // the default schedule's mr on js is 4, a healthy one
    const task = await moduleTask(FIXTURES, 'gemm', { m: 60, n: 32, k: 16 }, 'js');
    const records = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-faults-')), 'log.jsonl');
    const [summary] = await tune([task], {
      target: 'js',
      threads: 1,
      records,
      timeBudgetMs: 600_000,
      trials: 8,
      batch: 8,
      search: 'grid',
      measure: { timeoutMs: 3_000, buildTimeoutMs: 30_000, repeat: 2, minSampleMs: 0.1, hook: { module: FIXTURES } },
    });
    const log = readRecords(records).records;
    const byMr = new Map(log.filter((r) => r.origin === 'template:matmul').map((r) => [mrOf(r.steps), r]));
    expect([...byMr.keys()].sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6, 10, 12]);
    expect(byMr.get(1)?.ms).toBeNull();
    expect(byMr.get(1)?.error).toMatch(/^build: the worker died \(SIGABRT\)/);
    expect(byMr.get(2)).toMatchObject({ ms: null, error: 'timed out after 3 s' });
    expect(byMr.get(3)?.ms).toBeNull();
    expect(byMr.get(3)?.error).toMatch(/^wrong result: output 0\[0\] is /);
    expect(byMr.get(5)).toMatchObject({ ms: null, error: 'build: injected build failure' });
    for (const mr of [4, 6, 10, 12]) expect(byMr.get(mr)?.ms).toBeGreaterThan(0);
    expect(summary.trials).toBe(8);
    expect(summary.defaultMs).toBeGreaterThan(0);
    expect(mrOf(bestRecords(log).get(task.key)!.steps)).not.toBeOneOf([1, 2, 3, 5]);
  }, 240_000);
});
