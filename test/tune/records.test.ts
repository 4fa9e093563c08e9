/**
 * Tuning records: the log's lines parse back to the records written, malformed lines are reported
 * with their numbers and skipped, and the best record per task is the fastest schedule by the
 * median of its measurements, preferring the thread count asked for, then the running build's
 * times (never mixed with another build's), then times taken inside the model.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TuningRecord } from '../../src/tune/records.js';
import { KILN_VERSION, appendRecord, bestRecords, medianMs, parseRecords, readRecords } from '../../src/tune/records.js';

const step = (value: number) => ({ prim: 'split', stage: 'C', args: { axis: 'i', by: 'factor', value }, results: ['i.outer', 'i.inner'] }) as const;

/** a record of schedule `value` (the split factor): records of one value are one schedule measured again */
function rec(task: string, ms: number | null, threads = 2, value = ms ?? 0): TuningRecord {
  return { task, target: 'c', threads, origin: 'auto', steps: [step(value)], ms, ...(ms === null ? { error: 'timed out' } : {}), version: KILN_VERSION, time: '2026-11-27T10:00:00.000Z' };
}

describe('tuning records', () => {
  it('round-trips through the JSON-lines file', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-rec-')), 'log.jsonl');
    const written = [rec('c:a', 1.5), rec('c:a', null), rec('c:b', 0.25)];
    for (const r of written) appendRecord(file, r);
    expect(readRecords(file)).toEqual({ records: written, problems: [] });
  });

  it('a missing file is an empty log', () => {
    expect(readRecords(path.join(os.tmpdir(), 'kiln-no-such-records.jsonl'))).toEqual({ records: [], problems: [] });
  });

  it('reports malformed lines by number and keeps the rest', () => {
    const lines = [
      JSON.stringify(rec('c:a', 1)),
      '{"task": "c:a", "target": "c"', // cut off mid-write
      JSON.stringify({ ...rec('c:a', 1), steps: [{ prim: 'split' }] }),
      JSON.stringify({ ...rec('c:a', 1), ms: -3 }),
      JSON.stringify({ ...rec('c:a', 1), ms: null }),
      JSON.stringify({ ...rec('c:a', 1), measured: 'alone' }),
      JSON.stringify({ ...rec('c:a', 1), build: 7 }),
      '',
      '[1, 2]',
      JSON.stringify(rec('c:b', 2)),
    ];
    const { records, problems } = parseRecords(lines.join('\n'));
    expect(records.map((r) => r.task)).toEqual(['c:a', 'c:b']);
    expect(problems).toEqual([
      { line: 2, detail: 'not valid JSON' },
      { line: 3, detail: '"steps" is not a list of schedule steps' },
      { line: 4, detail: '"ms" is neither a time nor null' },
      { line: 5, detail: 'a failed record has no "error"' },
      { line: 6, detail: '"measured" is neither absent nor "model"' },
      { line: 7, detail: '"build" is not a string' },
      { line: 9, detail: 'not a JSON object' },
    ]);
  });

  it('picks the fastest success per task, preferring the asked thread count', () => {
    const log = [rec('c:a', 3), rec('c:a', null), rec('c:a', 1), rec('c:a', 0.5, 1), rec('c:b', null), rec('c:c', 0.1, 1)];
    const best = bestRecords(log, 2);
    expect(best.get('c:a')?.ms).toBe(1);
    expect(best.has('c:b')).toBe(false);
    // no record with 2 threads: one measured with another count is better than none
    expect(best.get('c:c')?.ms).toBe(0.1);
    expect(bestRecords(log).get('c:a')?.ms).toBe(0.5);
  });

  it('ranks a schedule measured again by its median and passes over one that ever failed', () => {
    // schedule 1 was lucky once (0.2) and then slower (0.9, 1.1); schedule 2 held 0.5; schedule 3 failed on its second run
    const log = [rec('c:a', 0.2, 2, 1), rec('c:a', 0.5, 2, 2), rec('c:a', 0.1, 2, 3), rec('c:a', 0.9, 2, 1), rec('c:a', 0.55, 2, 2), rec('c:a', 1.1, 2, 1), rec('c:a', null, 2, 3)];
    const best = bestRecords(log).get('c:a')!;
    expect(best.steps).toEqual([step(2)]);
    // the upper median of two measurements is the slower one
    expect(best.ms).toBe(0.55);
    expect(medianMs([0.2, 0.9, 1.1])).toBe(0.9);
  });

  it('ranks by the times taken inside the model where a task has them', () => {
    const inModel = (r: TuningRecord): TuningRecord => ({ ...r, measured: 'model' });
    // alone, schedule 1 is fastest; inside the model schedule 2 beats schedule 3, and schedule 1 was not timed there
    const log = [rec('c:a', 0.2, 2, 1), rec('c:a', 0.5, 2, 2), rec('c:a', 0.6, 2, 3), inModel(rec('c:a', 0.6, 2, 2)), inModel(rec('c:a', 0.9, 2, 3)), inModel(rec('c:a', 0.8, 2, 2))];
    const best = bestRecords(log, 2).get('c:a')!;
    expect([best.steps, best.ms, best.measured]).toEqual([[step(2)], 0.8, 'model']);
    // the thread count still comes first: a 2-thread schedule timed alone beats a 1-thread one timed in the model
    expect(bestRecords([rec('c:a', 0.5, 2, 1), inModel(rec('c:a', 0.1, 1, 2))], 2).get('c:a')!.steps).toEqual([step(1)]);
  });

  it('never mixes two builds\' times: the running build\'s rank a task, else the build that measured it last', () => {
    const of = (r: TuningRecord, build: string, time: string): TuningRecord => ({ ...r, build, time });
    const [t0, t1] = ['2026-11-27T10:00:00.000Z', '2026-11-27T11:00:00.000Z'];
    // schedule 1 was fast on an old build (0.1, 0.1) and is slow on the running one (0.9): mixed, its median would be 0.1
    const log = [of(rec('c:a', 0.1, 2, 1), 'old', t0), of(rec('c:a', 0.1, 2, 1), 'old', t0), of(rec('c:a', 0.9, 2, 1), 'new', t1), of(rec('c:a', 0.5, 2, 2), 'new', t1)];
    const best = bestRecords(log, 2, 'new').get('c:a')!;
    expect([best.steps, best.ms, best.build]).toEqual([[step(2)], 0.5, 'new']);
    // even when the old build's records are newer (a log resumed by an older checkout)
    expect(bestRecords(log.map((r) => (r.build === 'old' ? { ...r, time: '2026-11-27T12:00:00.000Z' } : r)), 2, 'new').get('c:a')!.steps).toEqual([step(2)]);
    // only older builds measured c:b: their schedules still serve, ranked by the last build's times
    const older = [of(rec('c:b', 0.1, 2, 1), 'older', t0), of(rec('c:b', 0.3, 2, 2), 'old', t1), of(rec('c:b', 0.4, 2, 3), 'old', t1)];
    const b = bestRecords(older, 2, 'new').get('c:b')!;
    expect([b.steps, b.ms, b.build]).toEqual([[step(2)], 0.3, 'old']);
    // a failure counts in its own build: schedule 1 failed on the old build and runs on the new one
    const fixed = [of(rec('c:c', null, 2, 1), 'old', t0), of(rec('c:c', 0.2, 2, 1), 'new', t1), of(rec('c:c', 0.3, 2, 2), 'new', t1)];
    expect(bestRecords(fixed, 2, 'new').get('c:c')!.steps).toEqual([step(1)]);
  });
});
