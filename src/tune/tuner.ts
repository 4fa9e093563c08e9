/**
 * @file The search driver. The time budget is shared by where the model spends its time: a
 * profiled run's time per task when given (`estimates`), else weight × the default schedule's
 * time, measured for every task first. Tasks where the model spends most go first; the budget
 * goes to as many of them as get a round's worth each, and time a task leaves unused passes on
 * to the rest.
 * A task's default schedule is measured (the baseline, recorded like any candidate) and then it
 * runs rounds until its share or trial cap is spent:
 *
 *   propose (templates, automatic sketches, mutations of the best) → lower, read features →
 *   rank with the cost model → measure the top ones and a few random ones → log → retrain
 *
 * At the end of its share the task's finalists (its fastest few) are timed again beside the
 * default, in alternation, and every schedule is ranked by the median of its measurements: the
 * fastest of many noisy single measurements is partly luck, and picked alone it promises a
 * speed-up the model never shows.
 *
 * Every measured candidate is appended to the records log at once. A log from an interrupted run
 * resumes: its traces are not measured again, its defaults are reused, its best traces seed the
 * mutations, and the cost model is first trained on its measurements. Only measurements of the
 * running build (records.ts `buildFingerprint`) are trusted so: a task whose records are of an
 * older build has its default measured again and its fastest old schedules measured again first
 * (a trace replays on any build, its time does not carry over); the cost model still learns the
 * old times, compared only with each other.
 */

import type { TargetName } from '../codegen/index.js';
import { defaultSchedule } from '../runtime/schedule.js';
import { tryLower } from './auto/index.js';
import { seededRng } from './auto/index.js';
import { CostModel } from './cost/index.js';
import { extractFeatures } from './features.js';
import type { MeasureOptions, MeasureResult } from './measure/measurer.js';
import { Measurer } from './measure/measurer.js';
import type { TraceTimes, TuningRecord } from './records.js';
import { KILN_VERSION, appendRecord, buildFingerprint, medianMs, readRecords, traceTimes } from './records.js';
import type { Candidate, SearchKind, SearchState } from './search.js';
import { candidates, propose, select, traceKey } from './search.js';
import type { Task } from './task.js';

export interface TuneOptions {
  readonly target: TargetName;
  readonly threads: number;
  /** the JSON-lines log: read to resume, appended to as candidates are measured */
  readonly records: string;
  readonly timeBudgetMs: number;
  /** measured candidates per task at most (default: no cap) */
  readonly trials?: number;
  /** candidates measured per round (default 8) */
  readonly batch?: number;
  /** rounds in which a task's finalists and default are timed again (default 2) */
  readonly recheck?: number;
  readonly search?: SearchKind;
  readonly seed?: number;
  /** a trained model to start from (transfer); default: a fresh one */
  readonly costModel?: CostModel;
  /**
   * where the model spends its time: ms per task key over all its kernels (a profiled run of the
   * model). With it, only the tasks the budget reaches have their default measured, each as the
   * first step of its own share; without it, every default is measured first.
   */
  readonly estimates?: ReadonlyMap<string, number>;
  readonly measure?: Omit<MeasureOptions, 'target' | 'threads'>;
  readonly onProgress?: (p: Progress) => void;
}

export interface TaskSummary {
  readonly task: Task;
  /** the default schedule's time (ms); null when it failed, undefined when the budget did not reach the task */
  readonly defaultMs: number | null | undefined;
  /** the model's time in this task's kernels (ms), when estimates were given */
  readonly estimateMs?: number;
  /** the best median time measured, the default included */
  readonly bestMs: number | null;
  readonly bestOrigin: string | null;
  /** candidates measured in this run */
  readonly trials: number;
  readonly seconds: number;
}

export interface Progress {
  readonly task: Task;
  readonly taskIndex: number;
  readonly taskCount: number;
  readonly trials: number;
  readonly bestMs: number | null;
  /** Σ weight·default / Σ weight·best over the tasks measured so far */
  readonly speedup: number;
  readonly elapsedMs: number;
}

/** A round's length is unknown until one has run; a share shorter than this is not started. */
const MIN_TASK_MS = 5_000;
/** the fastest schedules besides the default that are timed again; also the older builds' fastest schedules measured again */
const FINALISTS = 3;

interface TaskRun {
  readonly task: Task;
  readonly state: SearchState;
  /** measurements per schedule, by traceKey (of the running build) */
  readonly times: Map<string, TraceTimes>;
  /** the fastest schedules of older builds, to measure again before the search */
  readonly stale: Candidate[];
  /** the default schedule's median time: null when it failed, undefined before it is measured */
  defaultMs: number | null | undefined;
  trials: number;
  ms: number;
}

export async function tune(tasks: readonly Task[], opts: TuneOptions): Promise<TaskSummary[]> {
  const start = performance.now();
  const model = opts.costModel ?? new CostModel();
  const measurer = new Measurer({ ...opts.measure, target: opts.target, threads: opts.threads });
  const rng = seededRng(opts.seed ?? 1);
  // times taken inside the model (the CLI's final check) are not comparable with a worker's
  const log = readRecords(opts.records).records.filter((r) => r.threads === opts.threads && r.target === opts.target && r.measured === undefined);
  const build = buildFingerprint();
  const resumed = tasks.map((task) => resume(task, log, build, rng));
  const runs = resumed.map((r) => r.run);
  // the cost model learns the log once, not once per task
  const learned = resumed.flatMap((r) => r.learned);
  if (learned.length > 0) model.update(learned.map((l) => l.features), learned.map((l) => l.cost), learned.map((l) => l.group));
  const progress = (run: TaskRun): void =>
    opts.onProgress?.({
      task: run.task,
      taskIndex: runs.indexOf(run),
      taskCount: runs.length,
      trials: run.trials,
      bestMs: run.state.best[0]?.ms ?? null,
      speedup: speedup(runs),
      elapsedMs: performance.now() - start,
    });
  const share = (run: TaskRun): number => opts.estimates?.get(run.task.key) ?? run.task.weight * (run.defaultMs ?? run.state.best[0]?.ms ?? 0);
  try {
    if (!opts.estimates) await measureDefaults(runs, measurer, opts, progress);
    const order = [...runs].sort((a, b) => share(b) - share(a));
    for (const [i, run] of order.entries()) {
      const allotted = allot(opts.timeBudgetMs - (performance.now() - start), order.slice(i).map(share));
      if (allotted < MIN_TASK_MS) break;
      const t0 = performance.now();
      await measureDefaults([run], measurer, opts, progress);
      await measureStale(run, measurer, model, opts, progress);
      const t1 = performance.now();
      await tuneTask(run, allotted - (t1 - t0), measurer, model, opts, progress);
      await recheck(run, measurer, opts, progress);
      run.ms += performance.now() - t1;
    }
  } finally {
    measurer.close();
  }
  return runs.map((r) => ({
    task: r.task,
    defaultMs: r.defaultMs,
    estimateMs: opts.estimates?.get(r.task.key),
    bestMs: r.state.best[0]?.ms ?? null,
    bestOrigin: r.state.best[0]?.origin ?? null,
    trials: r.trials,
    seconds: r.ms / 1000,
  }));
}

/**
 * The next task's time: its part of `remainingMs` shared in proportion among the leading tasks
 * (`shares` from the next one on, largest first) that each get a round's worth. The tasks after
 * those get none, so a small task is never handed the time of a larger one left out.
 */
function allot(remainingMs: number, shares: readonly number[]): number {
  let sum = 0;
  for (const s of shares) {
    if (s <= 0 || (remainingMs * s) / (sum + s) < MIN_TASK_MS) break;
    sum += s;
  }
  return sum > 0 ? (remainingMs * shares[0]) / sum : 0;
}

/**
 * The task's state from the log: traces the running `build` measured (seen, ranked, the default's
 * time), the fastest few of older builds (measured again first), and what the model learns from
 * all of them, each time compared only with its own build's.
 */
function resume(task: Task, log: readonly TuningRecord[], build: string, rng: () => number): { run: TaskRun; learned: { features: Float64Array; cost: number; group: string }[] } {
  const all = [...traceTimes(log.filter((r) => r.task === task.key)).values()];
  const mine = all.filter((t) => t.record.build === build);
  const state: SearchState = { task, rng, seen: new Set(mine.map((t) => traceKey(t.record.steps))), best: [], grid: new Map() };
  const learned: { features: Float64Array; cost: number; group: string }[] = [];
  const stale: { candidate: Candidate; build: string; ms: number }[] = [];
  for (const t of all) {
    const func = tryLower(task, t.record.steps);
    if (!func) continue;
    const features = extractFeatures(func);
    learned.push({ features, cost: t.failed ? Infinity : medianMs(t.times), group: `${task.key} ${t.record.build ?? ''}` });
    if (t.record.build !== build && !t.failed && t.record.origin !== 'default') {
      stale.push({ candidate: { steps: t.record.steps, origin: t.record.origin, features }, build: t.record.build ?? '', ms: medianMs(t.times) });
    }
  }
  const run: TaskRun = { task, state, times: new Map(mine.map((t) => [traceKey(t.record.steps), t])), stale: fastestStale(stale, state.seen), defaultMs: undefined, trials: 0, ms: 0 };
  rank(run);
  return { run, learned };
}

/**
 * The FINALISTS fastest schedules of older builds that the running one has not measured, each
 * ranked by its time over the fastest of its own build (the builds' times do not compare).
 */
function fastestStale(stale: readonly { candidate: Candidate; build: string; ms: number }[], seen: ReadonlySet<string>): Candidate[] {
  const fastest = new Map<string, number>();
  for (const s of stale) fastest.set(s.build, Math.min(s.ms, fastest.get(s.build) ?? Infinity));
  const out = new Map<string, Candidate>();
  for (const s of [...stale].sort((a, b) => a.ms / fastest.get(a.build)! - b.ms / fastest.get(b.build)!)) {
    const key = traceKey(s.candidate.steps);
    if (!seen.has(key) && !out.has(key) && out.size < FINALISTS) out.set(key, s.candidate);
  }
  return [...out.values()];
}

/** The search's best list and the default's time from the measurements: per schedule, the median; one that failed is out. */
function rank(run: TaskRun): void {
  const ok = [...run.times.values()].filter((t) => !t.failed);
  run.state.best = ok.map((t) => ({ steps: t.record.steps, ms: medianMs(t.times), origin: t.record.origin })).sort((a, b) => a.ms - b.ms);
  const def = [...run.times.values()].find((t) => t.record.origin === 'default');
  run.defaultMs = def === undefined ? undefined : def.failed ? null : medianMs(def.times);
}

function speedup(runs: readonly TaskRun[]): number {
  let [before, after] = [0, 0];
  for (const r of runs) {
    const best = r.state.best[0]?.ms;
    if (r.defaultMs == null || best === undefined) continue;
    before += r.task.weight * r.defaultMs;
    after += r.task.weight * Math.min(best, r.defaultMs);
  }
  return after > 0 ? before / after : 1;
}

async function measureDefaults(runs: readonly TaskRun[], measurer: Measurer, opts: TuneOptions, progress: (r: TaskRun) => void): Promise<void> {
  const todo = runs.filter((r) => r.defaultMs === undefined);
  await Promise.all(
    todo.map(async (run) => {
      const steps = defaultSchedule(run.task.build().outputs, run.task.target).steps;
      const t0 = performance.now();
      const [result] = await measurer.measure(run.task.source, [steps]);
      run.ms += performance.now() - t0;
      record(run, { steps, origin: 'default' }, result, opts);
      run.state.seen.add(traceKey(steps));
      progress(run);
    }),
  );
}

/** Measures the older builds' fastest schedules again, within the task's trial cap. */
async function measureStale(run: TaskRun, measurer: Measurer, model: CostModel, opts: TuneOptions, progress: (r: TaskRun) => void): Promise<void> {
  const todo = run.stale.filter((c) => !run.state.seen.has(traceKey(c.steps))).slice(0, Math.max(0, (opts.trials ?? Infinity) - run.trials));
  if (todo.length === 0) return;
  for (const c of todo) run.state.seen.add(traceKey(c.steps));
  const t0 = performance.now();
  const results = await measurer.measure(run.task.source, todo.map((c) => c.steps));
  run.ms += performance.now() - t0;
  learn(run, todo, results, model, opts);
  progress(run);
}

/** Records each measured candidate and teaches the cost model the running build's times. */
function learn(run: TaskRun, chosen: readonly Candidate[], results: readonly MeasureResult[], model: CostModel, opts: TuneOptions): void {
  chosen.forEach((c, k) => record(run, c, results[k], opts));
  run.trials += chosen.length;
  model.update(
    chosen.map((c) => c.features),
    results.map((r) => r.ms ?? Infinity),
    chosen.map(() => `${run.task.key} ${buildFingerprint()}`),
  );
}

async function tuneTask(run: TaskRun, allottedMs: number, measurer: Measurer, model: CostModel, opts: TuneOptions, progress: (r: TaskRun) => void): Promise<void> {
  const t0 = performance.now();
  const batch = opts.batch ?? 8;
  const kind = opts.search ?? 'model';
  let dry = 0;
  /** milliseconds one candidate took in the last round: a round is cut to what the share has left */
  let perCandidate = 0;
  while (performance.now() - t0 < allottedMs && run.trials < (opts.trials ?? Infinity)) {
    const left = allottedMs - (performance.now() - t0);
    const fits = perCandidate > 0 ? Math.floor(left / perCandidate) : batch;
    if (fits < 1) return;
    const size = Math.min(batch, fits, (opts.trials ?? Infinity) - run.trials);
    const roundStart = performance.now();
    const chosen = select(candidates(run.state, propose(run.state, kind, 4 * batch)), kind, size, model, run.state.rng);
    // the space is exhausted, or every proposal was seen: a few empty rounds end the task
    if (chosen.length === 0) {
      if (++dry >= 3) return;
      continue;
    }
    const results = await measurer.measure(run.task.source, chosen.map((c) => c.steps));
    perCandidate = (performance.now() - roundStart) / chosen.length;
    learn(run, chosen, results, model, opts);
    progress(run);
  }
}

/**
 * Times the task's finalists and its default again, `opts.recheck` rounds, the order reversed
 * every other round so that neither end of a batch is always the same schedule.
 */
async function recheck(run: TaskRun, measurer: Measurer, opts: TuneOptions, progress: (r: TaskRun) => void): Promise<void> {
  const def = [...run.times.values()].find((t) => t.record.origin === 'default' && !t.failed);
  const finalists = run.state.best.filter((b) => b.origin !== 'default').slice(0, FINALISTS);
  if (def === undefined || finalists.length === 0) return;
  const chosen = [{ steps: def.record.steps, origin: 'default' }, ...finalists];
  for (let r = 0; r < (opts.recheck ?? 2); r++) {
    const order = r % 2 === 0 ? chosen : [...chosen].reverse();
    const results = await measurer.measure(run.task.source, order.map((c) => c.steps));
    order.forEach((c, k) => record(run, c, results[k], opts));
    progress(run);
  }
}

function record(run: TaskRun, c: Pick<Candidate, 'steps' | 'origin'>, result: MeasureResult, opts: TuneOptions): void {
  const r: TuningRecord = {
    task: run.task.key,
    label: run.task.label,
    target: opts.target,
    threads: opts.threads,
    origin: c.origin,
    steps: c.steps,
    ms: result.ms,
    ...(result.error === undefined ? {} : { error: result.error }),
    version: KILN_VERSION,
    build: buildFingerprint(),
    time: new Date().toISOString(),
  };
  appendRecord(opts.records, r);
  const key = traceKey(c.steps);
  const t = run.times.get(key) ?? { record: r, times: [], failed: false };
  if (r.ms === null) t.failed = true;
  else t.times.push(r.ms);
  run.times.set(key, t);
  rank(run);
}
