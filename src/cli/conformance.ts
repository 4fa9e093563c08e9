/**
 * @file `kiln conformance DIR [--target T] [--json] [--filter TEXT] [--timeout S] [--jobs N]`:
 * runs ONNX backend test cases (DIR is a folder of case folders, or one case) in worker
 * processes, prints `PASS name`, `FAIL name: reason` or `ERROR name: reason` per case in case
 * order, and ends with `N passed, N failed` (errors count as failed). Exits 1 unless all pass.
 * With --json it prints one object instead: {"target", "cases": [{name, status, reason}], "passed", "failed"}.
 */

import fs from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { TARGET_NAMES, isTargetName } from '../codegen/index.js';
import type { TargetName } from '../codegen/index.js';
import { quote } from '../graph/text.js';
import { defaultTarget } from '../api/session.js';
import type { CaseOutcome } from './cases.js';
import { isCase } from './cases.js';
import { parse, say } from './options.js';
import { runCases } from './pool.js';
import { UsageError, intOption } from './usage.js';

const OPTIONS = {
  target: { type: 'string' },
  json: { type: 'boolean', default: false },
  filter: { type: 'string', default: '' },
  timeout: { type: 'string' },
  jobs: { type: 'string' },
} as const;

interface Case {
  readonly name: string;
  readonly dir: string;
}

function listCases(dir: string, filter: string): Case[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`${quote(dir)} is not a directory`);
  if (isCase(dir)) return [{ name: path.basename(path.resolve(dir)), dir }];
  return fs
    .readdirSync(dir)
    .filter((name) => name.includes(filter) && isCase(path.join(dir, name)))
    .sort()
    .map((name) => ({ name, dir: path.join(dir, name) }));
}

function targetOf(t: string | undefined): TargetName {
  const target = t ?? defaultTarget();
  if (!isTargetName(target)) throw new UsageError(`unknown target ${quote(target)} (available: ${TARGET_NAMES.join(', ')})`);
  return target;
}

/** One line per case: the folder name in printable ASCII, the reason's whitespace collapsed, long reasons cut. */
function line(c: Case, o: CaseOutcome): string {
  const name = c.name.replace(/[^\x21-\x7e]/g, '?');
  const reason = o.reason.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?').slice(0, 400);
  return o.status === 'PASS' ? `PASS ${name}` : `${o.status} ${name}: ${reason}`;
}

export async function conformanceCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, OPTIONS);
  if (positionals.length !== 1) throw new UsageError(`expected one DIR argument, got ${positionals.length}`);
  const target = targetOf(values.target as string | undefined);
  const json = values.json === true;
  const cases = listCases(positionals[0], String(values.filter));
  if (cases.length === 0) throw new UsageError(`no test cases (folders with a model.onnx) under ${quote(positionals[0])}`);
  const timeoutMs = 1000 * intOption('timeout', values.timeout as string | undefined, 60, 3600);
  const jobs = intOption('jobs', values.jobs as string | undefined, availableParallelism(), 64);

  const outcomes: (CaseOutcome | undefined)[] = new Array<CaseOutcome | undefined>(cases.length);
  let printed = 0;
  await runCases(cases.map((c) => c.dir), { target, jobs, timeoutMs }, (k, o) => {
    outcomes[k] = o;
    // print in case order: everything up to the first case still running
    for (; !json && printed < cases.length && outcomes[printed]; printed++) say(line(cases[printed], outcomes[printed]!));
  });
  const passed = outcomes.filter((o) => o?.status === 'PASS').length;
  const failed = cases.length - passed;
  if (json) {
    const list = cases.map((c, k) => ({ name: c.name, status: outcomes[k]!.status, reason: outcomes[k]!.reason }));
    say(JSON.stringify({ target, cases: list, passed, failed }));
  } else {
    say(`${passed} passed, ${failed} failed`);
  }
  return failed === 0 ? 0 : 1;
}
