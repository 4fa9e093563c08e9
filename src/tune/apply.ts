/**
 * @file Using tuning records: a `KernelScheduler` (the executor's hook) that replays the best
 * record of a kernel's task onto the kernel's fresh tensors. A kernel without a record keeps the
 * default strategy; a record that no longer replays or lowers (the compute or kiln changed under
 * it) is reported through `warn` and the kernel keeps the default strategy too.
 */

import { lower } from '../lower/index.js';
import type { KernelScheduler } from '../runtime/kernels.js';
import type { Schedule } from '../schedule/index.js';
import { replaySchedule } from '../schedule/index.js';
import type { TuningRecord } from './records.js';
import { bestRecords, readRecords } from './records.js';
import { taskKey } from './task.js';

export interface RecordsOptions {
  /** the thread count kernels run with: records measured with it are preferred */
  readonly threads?: number;
  readonly warn: (message: string) => void;
}

/** The records at `path` (malformed lines are warned about), or records already parsed. */
export function loadRecords(records: string | readonly TuningRecord[], warn: (message: string) => void): readonly TuningRecord[] {
  if (typeof records !== 'string') return records;
  const { records: parsed, problems } = readRecords(records);
  for (const p of problems) warn(`tuning records ${records}, line ${p.line}: ${p.detail}; line skipped`);
  return parsed;
}

export function recordScheduler(records: readonly TuningRecord[], opts: RecordsOptions): KernelScheduler {
  const best = bestRecords(records, opts.threads);
  const failed = new Set<string>();
  return (k, target) => {
    const key = taskKey(k, target.name);
    const r = best.get(key);
    if (r === undefined || failed.has(key)) return null;
    let s: Schedule;
    try {
      s = replaySchedule(r.steps, k.outputs);
      lower(s, [...k.args], 'replayed');
    } catch (e) {
      failed.add(key);
      opts.warn(`tuning record for task ${key}${r.label ? ` (${r.label})` : ''} does not apply: ${e instanceof Error ? e.message : String(e)}; using the default schedule`);
      return null;
    }
    return s;
  };
}
