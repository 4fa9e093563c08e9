/**
 * @file Tuning records: a JSON-lines log, one line per measured candidate.
 *
 *   {"task":"c:3f1a…","label":"k3 Conv+Relu 1x8x24x96","target":"c","threads":2,"origin":"template:matmul",
 *    "steps":[{"prim":"split",…}],"ms":0.0812,"version":"0.1.0","time":"2026-11-27T10:12:00.000Z"}
 *
 * A failed candidate has `"ms":null` and an `"error"`. Lines are appended as candidates finish, so
 * an interrupted run loses at most the line being written; reading reports malformed lines (with
 * their line numbers) instead of failing, and `bestRecords` picks the fastest per task.
 */

import fs from 'node:fs';
import type { Step } from '../schedule/index.js';
import { TuneError } from './errors.js';

export interface TuningRecord {
  readonly task: string;
  readonly label?: string;
  readonly target: string;
  readonly threads: number;
  /** what made the schedule: `default`, `template:matmul`, `auto` */
  readonly origin: string;
  readonly steps: readonly Step[];
  /** median time of one kernel call in milliseconds; null when the candidate failed */
  readonly ms: number | null;
  readonly error?: string;
  readonly version: string;
  readonly time: string;
}

export interface RecordProblem {
  readonly line: number;
  readonly detail: string;
}

const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
export const KILN_VERSION = typeof pkg.version === 'string' ? pkg.version : 'unknown';

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

/**
 * The fastest successful record per task. Records measured with `threads` win over others of the
 * same task (a schedule tuned for 1 thread may be a poor choice for 8); without a match, any.
 */
export function bestRecords(records: readonly TuningRecord[], threads?: number): Map<string, TuningRecord> {
  const best = new Map<string, TuningRecord>();
  const better = (r: TuningRecord, old: TuningRecord | undefined): boolean => {
    if (old === undefined) return true;
    const [rm, om] = [threads === undefined || r.threads === threads, threads === undefined || old.threads === threads];
    if (rm !== om) return rm;
    return r.ms! < old.ms!;
  };
  for (const r of records) if (r.ms !== null && better(r, best.get(r.task))) best.set(r.task, r);
  return best;
}
