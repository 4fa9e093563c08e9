/**
 * @file Tuning records: a JSON-lines log, one line per measured candidate.
 *
 *   {"task":"c:3f1a…","label":"k3 Conv+Relu 1x8x24x96","target":"c","threads":2,"origin":"template:matmul",
 *    "steps":[{"prim":"split",…}],"ms":0.0812,"version":"0.1.0","build":"9c41…","time":"2026-11-27T10:12:00.000Z"}
 *
 * A failed candidate has `"ms":null` and an `"error"`. `"measured":"model"` marks a time taken inside
 * runs of the whole model (`kiln tune`'s final check) rather than alone in a measuring worker.
 * Lines are appended as candidates finish, so
 * an interrupted run loses at most the line being written; reading reports malformed lines (with
 * their line numbers) instead of failing. A schedule may be measured more than once (the tuner
 * times its finalists again, beside the default, so that one lucky sample does not pick the
 * winner): its time is the median of its measurements, and `bestRecords` picks the fastest per
 * task by that.
 *
 * `build` fingerprints what a time depends on besides the schedule (`buildFingerprint`): kiln's
 * sources, Node and the CPU. A trace replays on any build, but its time only compares with times
 * of the same build — a change to code generation, the thread pool or a strategy moves them all —
 * so times are grouped by build and never mixed (a record without one is of an unknown build).
 */

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { arch, cpus } from 'node:os';
import type { Step } from '../schedule/index.js';
import { kilnSourcesHash } from '../runtime/cache/key.js';
import { printSteps } from '../schedule/index.js';
import { TuneError } from './errors.js';

export interface TuningRecord {
  readonly task: string;
  readonly label?: string;
  readonly target: string;
  readonly threads: number;
  /** what made the schedule: `default`, `template:matmul`, `auto` */
  readonly origin: string;
  readonly steps: readonly Step[];
  /** time of one kernel call in milliseconds (the fastest of a measurement's calls); null when the candidate failed */
  readonly ms: number | null;
  readonly error?: string;
  /** `model`: timed inside runs of the whole model; absent: alone, in a measuring worker */
  readonly measured?: 'model';
  readonly version: string;
  /** the build that measured it (buildFingerprint); absent in logs written before builds were recorded */
  readonly build?: string;
  readonly time: string;
}

export interface RecordProblem {
  readonly line: number;
  readonly detail: string;
}

const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
export const KILN_VERSION = typeof pkg.version === 'string' ? pkg.version : 'unknown';

let build: string | undefined;

/**
 * The build times are taken by, hashed once per process: kiln's sources (every file under src/,
 * so a local edit counts), the Node version and the CPU. Measurements of another build are stale.
 */
export function buildFingerprint(): string {
  build ??= createHash('sha256')
    .update([kilnSourcesHash(), process.version, arch(), cpus()[0]?.model ?? ''].join('\n'))
    .digest('hex')
    .slice(0, 16);
  return build;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function isStep(x: unknown): x is Step {
  return isObject(x) && typeof x.prim === 'string' && typeof x.stage === 'string' && isObject(x.args) && Array.isArray(x.results) && x.results.every((r) => typeof r === 'string');
}

/** Why `x` is not a record, or null when it is one. */
function problemOf(x: unknown): string | null {
  if (!isObject(x)) return 'not a JSON object';
  for (const k of ['task', 'target', 'origin', 'version', 'time'] as const) if (typeof x[k] !== 'string') return `"${k}" is not a string`;
  if (typeof x.threads !== 'number' || !Number.isInteger(x.threads) || x.threads < 1) return '"threads" is not a positive integer';
  if (!Array.isArray(x.steps) || !x.steps.every(isStep)) return '"steps" is not a list of schedule steps';
  if (x.ms !== null && !(typeof x.ms === 'number' && Number.isFinite(x.ms) && x.ms >= 0)) return '"ms" is neither a time nor null';
  if (x.ms === null && typeof x.error !== 'string') return 'a failed record has no "error"';
  if (x.measured !== undefined && x.measured !== 'model') return '"measured" is neither absent nor "model"';
  if (x.build !== undefined && typeof x.build !== 'string') return '"build" is not a string';
  return null;
}

/** Parses the lines of a records log; malformed lines become problems, not errors. */
export function parseRecords(text: string): { records: TuningRecord[]; problems: RecordProblem[] } {
  const records: TuningRecord[] = [];
  const problems: RecordProblem[] = [];
  text.split('\n').forEach((raw, k) => {
    const line = raw.trim();
    if (line === '') return;
    let x: unknown;
    try {
      x = JSON.parse(line);
    } catch {
      problems.push({ line: k + 1, detail: 'not valid JSON' });
      return;
    }
    const problem = problemOf(x);
    if (problem === null) records.push(x as TuningRecord);
    else problems.push({ line: k + 1, detail: problem });
  });
  return { records, problems };
}

/** Reads a records file; a missing file is an empty log (tuning starts it). */
export function readRecords(path: string): { records: TuningRecord[]; problems: RecordProblem[] } {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') return { records: [], problems: [] };
    throw new TuneError(`records ${path}`, `cannot be read (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseRecords(text);
}

/** Appends one record as one line. */
export function appendRecord(path: string, record: TuningRecord): void {
  fs.appendFileSync(path, `${JSON.stringify(record)}\n`);
}

/** The upper median: of two measurements, the slower. */
export function medianMs(times: readonly number[]): number {
  return [...times].sort((a, b) => a - b)[times.length >> 1];
}

/** A schedule's measurements in a log, under the key of its printed steps. */
export interface TraceTimes {
  /** its first record */
  readonly record: TuningRecord;
  readonly times: number[];
  /** whether any measurement of it failed */
  failed: boolean;
}

/**
 * The records grouped by task, thread count, build, schedule and where they were timed, in the
 * order first seen: a group's times are comparable with each other.
 */
export function traceTimes(records: readonly TuningRecord[]): Map<string, TraceTimes> {
  const out = new Map<string, TraceTimes>();
  for (const r of records) {
    const key = `${r.task} ${r.threads} ${r.build ?? ''} ${r.measured ?? 'alone'} ${printSteps(r.steps)}`;
    const t = out.get(key) ?? { record: r, times: [], failed: false };
    if (r.ms === null) t.failed = true;
    else t.times.push(r.ms);
    out.set(key, t);
  }
  return out;
}

/**
 * The fastest schedule per task, by the median of its measurements, as its first record with
 * `ms` that median; a schedule that ever failed in a build is passed over there (it may fail
 * again). Schedules measured with `threads` win over others of the same task (one tuned for 1
 * thread may be a poor choice for 8); without a match, any. Among those, only one build's times
 * compete: `build` (the running one) where the task has records of it, else the build that
 * measured the task last — an older build's schedules still serve, ranked by their own times.
 * Within it, schedules timed inside the model win over schedules timed only alone and are ranked
 * by those times: a kernel's time alone can differ from its time between the model's other
 * kernels, which is the time that counts.
 */
export function bestRecords(records: readonly TuningRecord[], threads?: number, build = buildFingerprint()): Map<string, TuningRecord> {
  const best = new Map<string, TuningRecord>();
  // per task and thread count, its newest record (whose build measured it last)
  const latest = new Map<string, TuningRecord>();
  for (const r of records) {
    const k = `${r.task} ${r.threads}`;
    const old = latest.get(k);
    if (old === undefined || r.time > old.time) latest.set(k, r);
  }
  const buildRank = (r: TuningRecord): number => (r.build === build ? 2 : r.build === latest.get(`${r.task} ${r.threads}`)?.build ? 1 : 0);
  const rank = (r: TuningRecord): [boolean, number, boolean] => [threads === undefined || r.threads === threads, buildRank(r), r.measured === 'model'];
  const better = (r: TuningRecord, old: TuningRecord | undefined): boolean => {
    if (old === undefined) return true;
    const [[rt, rb, rm], [ot, ob, om]] = [rank(r), rank(old)];
    if (rt !== ot) return rt;
    if (rb !== ob) return rb > ob;
    if (r.build !== old.build) return r.time > old.time;
    if (rm !== om) return rm;
    return r.ms! < old.ms!;
  };
  const failed = new Set<string>();
  const all = traceTimes(records);
  const id = (r: TuningRecord): string => `${r.task} ${r.threads} ${r.build ?? ''} ${printSteps(r.steps)}`;
  for (const t of all.values()) if (t.failed) failed.add(id(t.record));
  for (const t of all.values()) {
    if (failed.has(id(t.record))) continue;
    const r = { ...t.record, ms: medianMs(t.times) };
    if (better(r, best.get(r.task))) best.set(r.task, r);
  }
  return best;
}
