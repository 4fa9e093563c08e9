/**
 * @file Timing a model's tasks where they run: inside profiled runs of the whole model. `kiln
 * tune` uses it twice: before tuning, for where the untuned model spends its time (the budget's
 * shares); after tuning, to check each tuned task against its default inside the model.
 *
 * The check exists because a kernel timed alone in a measuring worker is not the kernel between
 * the model's others: there its inputs were just written by the kernel before it (on 2 threads,
 * partly from the other core's cache), and the thread pool comes to it from another parallel
 * loop. A schedule that wins alone can lose there. So the untuned model and the model with each
 * task's best schedule (as timed alone) run in alternation; per tuned task both schedules' times
 * in the model go into the log (`measured: "model"`), and `bestRecords` ranks by those.
 */

import { InferenceSession } from '../api/session.js';
import type { Tensor } from '../api/tensor.js';
import type { TargetName } from '../codegen/index.js';
import type { KernelTime } from '../runtime/executor.js';
import { defaultSchedule } from '../runtime/schedule.js';
import type { TuningRecord } from '../tune/records.js';
import { KILN_VERSION, appendRecord, bestRecords, buildFingerprint, readRecords } from '../tune/records.js';
import type { Task } from '../tune/task.js';
import { median } from './report.js';
import { settle } from './timing.js';

/** Times of alternating runs of one session: whole runs, and per task key the time in its kernels (ms). */
interface ModelTimes {
  readonly wallMs: readonly number[];
  readonly tasks: ReadonlyMap<string, readonly number[]>;
}

/** Sessions of one model run in alternation, `rounds` times, each turn after a wake-up run and before an idle pause. */
async function timeSessions(sessions: readonly InferenceSession[], feeds: readonly Tensor[], tasks: readonly Task[], rounds: number): Promise<ModelTimes[]> {
  const taskOf = new Map<string, string>(tasks.flatMap((t) => t.kernels.map((k) => [`k${k}`, t.key] as const)));
  const record = Object.fromEntries(sessions[0].inputNames.map((name, k) => [name, feeds[k]]));
  const walls = sessions.map((): number[] => []);
  const sums = sessions.map(() => new Map<string, number[]>());
  const perTask = (kernels: readonly KernelTime[]): Map<string, number> => {
    const out = new Map<string, number>();
    for (const k of kernels) {
      const key = taskOf.get(k.entry);
      if (key !== undefined) out.set(key, (out.get(key) ?? 0) + k.ms);
    }
    return out;
  };
  for (let r = 0; r < rounds; r++) {
    for (const [i, s] of sessions.entries()) {
      // as `kiln compare` times sides: a run that wakes this session's pool first, and a pause
      // after, so the other session's pool, spinning on, does not slow this one (timing.ts)
      await s.run(record);
      // a plain run for the wall time: profiling times every kernel apart
      const t0 = performance.now();
      await s.run(record);
      walls[i].push(performance.now() - t0);
      for (const [key, ms] of perTask((await s.runWithProfile(record)).kernels)) sums[i].set(key, [...(sums[i].get(key) ?? []), ms]);
      await settle();
    }
  }
  return sessions.map((_, i) => ({ wallMs: walls[i], tasks: sums[i] }));
}

/** Where the untuned model spends its time, per task key: medians of enough runs that a kernel preempted in a few keeps its own. */
export async function profileModel(model: string, feeds: readonly Tensor[], target: TargetName, threads: number, tasks: readonly Task[]): Promise<Map<string, number>> {
  const session = await InferenceSession.create(model, { target, threads });
  try {
    const [times] = await timeSessions([session], feeds, tasks, 7);
    return new Map([...times.tasks].map(([key, xs]) => [key, median(xs)]));
  } finally {
    await session.release();
  }
}

export interface CheckRow {
  readonly task: Task;
  readonly origin: string;
  /** ms per kernel call timed alone: the default, the tuned schedule */
  readonly alone: readonly [number, number];
  /** ms per kernel call inside the model: the default, the tuned schedule */
  readonly inModel: readonly [number, number];
}

export interface CheckResult {
  readonly rows: readonly CheckRow[];
  /** runs of the untuned model and of the model with every tuned schedule: median and fastest (ms) */
  readonly wallMs: readonly [{ readonly median: number; readonly min: number }, { readonly median: number; readonly min: number }];
  readonly rounds: number;
}

/**
 * A task's time per kernel call inside the model: the fastest of the runs, as a measuring worker
 * takes the fastest call (worker.ts), so that runs slowed by other work on the machine do not
 * decide; the sessions alternate, so both had the same chances.
 */
function fastest(t: ModelTimes, task: Task): number {
  const xs = t.tasks.get(task.key);
  return xs === undefined ? NaN : Math.min(...xs) / task.weight;
}

/**
 * Runs the untuned model and the model with each task's best schedule timed alone, alternating
 * `rounds` times, and appends to the log, per task whose best alone is not its default, both
 * schedules' per-call times inside the model. Null when no task has such a schedule.
 */
export async function checkInModel(model: string, feeds: readonly Tensor[], target: TargetName, threads: number, tasks: readonly Task[], records: string, rounds = 15): Promise<CheckResult | null> {
  const alone = readRecords(records).records.filter((r) => r.target === target && r.threads === threads && r.measured === undefined);
  const best = bestRecords(alone, threads);
  const defaults = new Map(alone.filter((r) => r.origin === 'default' && r.ms !== null).map((r) => [r.task, r] as const));
  const tuned = tasks.filter((t) => best.has(t.key) && best.get(t.key)!.origin !== 'default');
  if (tuned.length === 0) return null;
  const sessions = [await InferenceSession.create(model, { target, threads })];
  try {
    sessions.push(await InferenceSession.create(model, { target, threads, tuningRecords: [...best.values()] }));
    const [before, after] = await timeSessions(sessions, feeds, tasks, rounds);
    const rows = tuned.map((task): CheckRow => {
      const b = best.get(task.key)!;
      const aloneDefault = bestRecords(alone.filter((r) => r.task === task.key && r.origin === 'default'), threads).get(task.key)?.ms ?? NaN;
      const row: CheckRow = {
        task,
        origin: b.origin,
        alone: [aloneDefault, b.ms!],
        inModel: [fastest(before, task), fastest(after, task)],
      };
      const steps = defaults.get(task.key)?.steps ?? defaultSchedule(task.build().outputs, task.target).steps;
      const time = new Date().toISOString();
      const common = { task: task.key, label: task.label, target, threads, measured: 'model', version: KILN_VERSION, build: buildFingerprint(), time } as const;
      const entries: TuningRecord[] = [
        { ...common, origin: 'default', steps, ms: row.inModel[0] },
        { ...common, origin: b.origin, steps: b.steps, ms: row.inModel[1] },
      ];
      for (const e of entries) if (Number.isFinite(e.ms)) appendRecord(records, e);
      return row;
    });
    const wall = (t: ModelTimes): { median: number; min: number } => ({ median: median(t.wallMs), min: Math.min(...t.wallMs) });
    return { rows, wallMs: [wall(before), wall(after)], rounds };
  } finally {
    for (const s of sessions) await s.release();
  }
}
