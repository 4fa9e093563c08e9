/**
 * @file `kiln tune MODEL --input … --target T [--threads N] [--time-budget 10m] [--trials N]
 * --records FILE [--search model|random|grid] [--seed S]`: extracts the model's tuning tasks at
 * the given input shapes, tunes them within the budget (src/tune/tuner.ts) appending every
 * measured candidate to FILE (an existing FILE is resumed), and prints one row per task: default
 * time, tuned time, speed-up, trials, seconds spent. A progress bar (stderr) shows the task,
 * its trials, its best time and the estimated speed-up of the whole model.
 */

import { availableParallelism } from 'node:os';
import cliProgress from 'cli-progress';
import { defaultTarget } from '../api/session.js';
import type { Tensor } from '../api/tensor.js';
import { TARGET_NAMES, isTargetName } from '../codegen/index.js';
import { readOnnx } from '../frontend/onnx/index.js';
import { quote } from '../graph/text.js';
import type { SearchKind } from '../tune/search.js';
import { extractTasks } from '../tune/task.js';
import type { Progress, TaskSummary } from '../tune/tuner.js';
import { tune } from '../tune/tuner.js';
import { makeFeeds, parseInputs } from './inputs.js';
import { COMMON_OPTIONS, parse, say } from './options.js';
import type { CheckResult } from './tune-check.js';
import { checkInModel, profileModel } from './tune-check.js';
import { UsageError, intOption } from './usage.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  'time-budget': { type: 'string' },
  trials: { type: 'string' },
  search: { type: 'string' },
} as const satisfies Parameters<typeof parse>[1];

const SEARCHES: readonly SearchKind[] = ['model', 'random', 'grid'];

/** `90s`, `10m`, `1h` or plain seconds → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text);
  const seconds = m ? Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'] : NaN;
  if (!(seconds > 0)) throw new UsageError(`--time-budget must be a duration like 90s, 10m or 1h, got ${JSON.stringify(text)}`);
  return seconds * 1000;
}

export async function tuneCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (positionals.length !== 1) throw new UsageError(`expected one MODEL argument, got ${positionals.length}`);
  const str = (k: keyof typeof OPTIONS): string | undefined => (typeof values[k] === 'string' ? values[k] : undefined);
  const records = str('records') ?? bad('--records FILE is required (the log tuning writes and resumes)');
  const target = str('target') ?? defaultTarget();
  if (!isTargetName(target)) bad(`--target must be one of ${TARGET_NAMES.join(', ')}, got ${quote(target)}`);
  const search = str('search') ?? 'model';
  if (!SEARCHES.includes(search as SearchKind)) bad(`--search must be one of ${SEARCHES.join(', ')}, got ${quote(search)}`);
  const threads = intOption('threads', str('threads'), availableParallelism(), 1024);
  const budgetMs = parseDuration(str('time-budget') ?? '10m');
  const trials = str('trials') === undefined ? undefined : intOption('trials', str('trials'), 1);
  const model = positionals[0];
  const inputs = inputTypes(model, Array.isArray(values.input) ? values.input.map(String) : []);

  const tasks = await extractTasks(model, inputs.map((f) => ({ dtype: f.type, shape: f.dims })), target);
  say(`model ${quote(model)}: ${tasks.length} tasks (${tasks.reduce((n, t) => n + t.weight, 0)} kernels) on ${target}, ${threads} thread${threads === 1 ? '' : 's'}, budget ${budgetMs / 1000} s`);
  const t0 = performance.now();
  const estimates = await profileModel(model, inputs, target, threads, tasks);
  say(`profiled the untuned model in ${((performance.now() - t0) / 1000).toFixed(1)} s (not counted in the budget)`);
  const bar = progressBar(budgetMs);
  const summaries = await tune(tasks, {
    target,
    threads,
    records,
    timeBudgetMs: budgetMs,
    trials,
    search: search as SearchKind,
    seed: str('seed') === undefined ? 1 : intOption('seed', str('seed'), 1, 2 ** 31),
    estimates,
    measure: str('repeat') === undefined ? {} : { repeat: intOption('repeat', str('repeat'), 5, 1000) },
    onProgress: bar.update,
  }).finally(bar.stop);
  printTable(summaries, estimates);
  const t1 = performance.now();
  const check = await checkInModel(model, inputs, target, threads, tasks, records);
  if (check) printCheck(check, (performance.now() - t1) / 1000);
  say(`records: ${records}`);
  return 0;
}

function bad(message: string): never {
  throw new UsageError(message);
}

/** The feeds the model is tuned for, from `--input` (dims or a .pb) or the declared shapes. */
function inputTypes(model: string, specs: readonly string[]): Tensor[] {
  const g = readOnnx(model);
  const feeds = makeFeeds(g.inputs, parseInputs(specs, g.inputs), 1);
  return g.inputs.map((v) => feeds.get(v.name)!.tensor);
}

const fmtMs = (x: number | null): string => (x === null ? 'failed' : x.toFixed(4));

/** A bar over the budget on a terminal; elsewhere one line per round. */
function progressBar(budgetMs: number): { update: (p: Progress) => void; stop: () => void } {
  const line = (p: Progress): Record<string, string> => ({
    task: `${p.taskIndex + 1}/${p.taskCount} ${p.task.label}`.slice(0, 40).padEnd(40),
    trials: String(p.trials).padStart(4),
    best: p.bestMs === null ? '-' : `${fmtMs(p.bestMs)} ms`,
    speedup: p.speedup.toFixed(2),
  });
  if (!process.stderr.isTTY) {
    return {
      update: (p) => {
        const l = line(p);
        process.stderr.write(`[${(p.elapsedMs / 1000).toFixed(0)} s] ${l.task} trials ${l.trials}  best ${l.best}  model speed-up ${l.speedup}x\n`);
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: '{task} |{bar}| {value}/{total} s | trials {trials} | best {best} | model speed-up {speedup}x', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.round(budgetMs / 1000), 0, { task: '', trials: '', best: '', speedup: '1.00' });
  return {
    update: (p) => bar.update(Math.min(Math.round(p.elapsedMs / 1000), Math.round(budgetMs / 1000)), line(p)),
    stop: () => bar.stop(),
  };
}

function printTable(rows: readonly TaskSummary[], estimates: ReadonlyMap<string, number>): void {
  const tuned = rows.filter((r) => r.defaultMs !== undefined);
  say('\ntask                                     weight  model ms  default ms    tuned ms  speed-up  trials  seconds  best from');
  let [before, after] = [0, 0];
  for (const r of tuned) {
    const best = r.bestMs === null || r.defaultMs == null ? r.bestMs : Math.min(r.bestMs, r.defaultMs);
    const speedup = best !== null && r.defaultMs != null ? (r.defaultMs / best).toFixed(2) : '-';
    if (best !== null && r.defaultMs != null) {
      before += r.task.weight * r.defaultMs;
      after += r.task.weight * best;
    }
    const cols = [
      String(r.task.weight).padStart(6),
      (r.estimateMs === undefined ? '-' : r.estimateMs.toFixed(3)).padStart(9),
      fmtMs(r.defaultMs ?? null).padStart(11),
      fmtMs(best).padStart(11),
      speedup.padStart(9),
      String(r.trials).padStart(7),
      r.seconds.toFixed(1).padStart(8),
    ];
    say(`${r.task.label.slice(0, 40).padEnd(40)} ${cols.join(' ')}  ${r.bestOrigin ?? '-'}`);
  }
  const rest = rows.length - tuned.length;
  if (rest > 0) say(`(${rest} task${rest === 1 ? '' : 's'} with too small a share of the model's time for the budget: default schedule kept)`);
  say(`estimated speed-up of the tuned tasks (Σ weight·default / Σ weight·tuned): ${after > 0 ? (before / after).toFixed(2) : '-'}x`);
  const model = modelEstimate(rows, estimates);
  say(`estimated speed-up of the model (its kernels' profiled time, each tuned task's scaled by tuned/default): ${model.before.toFixed(2)} → ${model.after.toFixed(2)} ms, ${(model.before / model.after).toFixed(2)}x`);
}

/**
 * The untuned model's kernel time and what it becomes when each task's profiled time is scaled by
 * its tuned/default ratio. Unlike the ratio over the tuned tasks alone, this counts the time the
 * budget left untouched, so it is what a run of the whole model can be expected to show.
 */
export function modelEstimate(rows: readonly TaskSummary[], estimates: ReadonlyMap<string, number>): { before: number; after: number } {
  let [before, after] = [0, 0];
  for (const r of rows) {
    const ms = estimates.get(r.task.key) ?? 0;
    const ratio = r.bestMs !== null && r.defaultMs != null && r.defaultMs > 0 ? Math.min(r.bestMs, r.defaultMs) / r.defaultMs : 1;
    before += ms;
    after += ms * ratio;
  }
  return { before, after };
}

/** Per tuned task, its times alone and inside the model; then the two models' run times. */
function printCheck(check: CheckResult, seconds: number): void {
  say(`\nchecked inside the model (${check.rounds} alternating runs each, untuned and tuned, ${seconds.toFixed(1)} s): fastest ms per kernel call`);
  say('task                                       alone: default    tuned  in model: default    tuned  kept');
  let reverted = 0;
  for (const r of check.rows) {
    const kept = r.inModel[1] < r.inModel[0];
    if (!kept) reverted++;
    const cols = [fmtMs(r.alone[0]).padStart(15), fmtMs(r.alone[1]).padStart(8), fmtMs(r.inModel[0]).padStart(18), fmtMs(r.inModel[1]).padStart(8)];
    say(`${r.task.label.slice(0, 40).padEnd(40)} ${cols.join(' ')}  ${kept ? r.origin : 'default'}`);
  }
  const [before, after] = check.wallMs;
  const line = (k: 'median' | 'min'): string => `${before[k].toFixed(2)} → ${after[k].toFixed(2)} ms (${(before[k] / after[k]).toFixed(2)}x)`;
  say(`measured runs of the model, untuned → every tuned schedule: median ${line('median')}, fastest ${line('min')}`);
  if (reverted > 0) say(`${reverted} of ${check.rows.length} tuned schedules were not faster inside the model: those tasks keep the default (their times inside the model are in the records)`);
}
