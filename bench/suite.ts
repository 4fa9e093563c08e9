/**
 * @file `npm run bench [-- --target c|wasm] [--threads 1,2] [--rows LIST] [--repeat N] [--records FILE] [--fetches] [--out FILE.md] [--json]`
 *
 * The benchmark suite: every row of bench/lib/rows.ts (PaddleOCR, the light architectures with
 * random weights, single operators) run by kiln, onnxruntime-node and onnxruntime-web on the same
 * input, at each thread count, checked against onnxruntime-node and timed (bench/lib/measure.ts).
 * Prints a Markdown table (bench/lib/table.ts) to stdout, or with --json one JSON line per row
 * (`kiln compare`'s fields plus row, peer_web_ms, ratio_web, compile_cold_ms, compile_cached_ms);
 * --out also writes the table to a file, after every row. Progress goes to stderr. --records runs
 * kiln with the best of a tuning log's schedules (`kiln tune`) where they apply. --fetches has every
 * side write its outputs into tensors allocated once (onnxruntime's preallocated `fetches`).
 *
 * Each row and thread count runs in a child process of its own: onnxruntime-web fixes its thread
 * count when it first initializes, a cold compile needs a kiln disk cache no earlier row has
 * filled (the child gets XDG_CACHE_HOME pointing at a new empty directory, removed after it), and
 * a row that crashes or hangs (killed after --timeout seconds) is reported as an error while the
 * suite goes on.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { MeasureOptions, RowResult, Target } from './lib/measure.js';
import { failedRow, measureRow } from './lib/measure.js';
import type { Row } from './lib/rows.js';
import { ROWS, selectRows } from './lib/rows.js';
import { markdownReport, tableRow } from './lib/table.js';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'c' },
    threads: { type: 'string', default: '1,2' },
    rows: { type: 'string', default: 'all' },
    repeat: { type: 'string', default: '20' },
    timeout: { type: 'string', default: '900' },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
    child: { type: 'string' },
    records: { type: 'string' },
    fetches: { type: 'boolean', default: false },
  },
});

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench: --${name} must be a positive integer, got '${text}'`);
  return n;
}

function parseTarget(name: string): Target {
  if (name !== 'c' && name !== 'wasm') throw new Error(`bench: --target must be c or wasm, got '${name}'`);
  return name;
}

const target = parseTarget(values.target);
const repeat = positive('repeat', values.repeat);
const timeoutS = positive('timeout', values.timeout);
const threadCounts = values.threads.split(',').map((t) => positive('threads', t));

/** Child: measure one row at one thread count, print its result as one JSON line. */
async function child(name: string): Promise<void> {
  const row = ROWS.find((r) => r.name === name);
  if (!row) throw new Error(`bench: no row '${name}'`);
  const opts: MeasureOptions = { target, threads: threadCounts[0], repeat, fetches: values.fetches, ...(values.records ? { tuningRecords: path.resolve(values.records) } : {}) };
  let result: RowResult;
  try {
    result = await measureRow(row, opts);
  } catch (e) {
    result = failedRow(row, opts, e);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Why a child failed, from its stderr: the first error message, else its last lines. */
function failureReason(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('npm warn'));
  const error = lines.find((l) => !l.startsWith('at ') && /(^|\b)[A-Za-z]*Error\b/.test(l));
  return (error ?? lines.slice(-3).join(' / ')).slice(0, 400) || 'no output';
}

function runChild(row: Row, threads: number): RowResult {
  const cache = mkdtempSync(path.join(tmpdir(), 'kiln-bench-cache-'));
  try {
    const args = [...process.execArgv, process.argv[1], '--child', row.name, '--target', target, '--threads', String(threads), '--repeat', String(repeat), ...(values.records ? ['--records', values.records] : []), ...(values.fetches ? ['--fetches'] : [])];
    const r = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      env: { ...process.env, XDG_CACHE_HOME: cache },
      timeout: timeoutS * 1000,
      maxBuffer: 64 << 20,
    });
    const line = r.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
    if (line !== undefined && r.status === 0) return JSON.parse(line) as RowResult;
    const why = r.error?.message.includes('ETIMEDOUT') ? `timed out after ${timeoutS} s` : `exit ${r.status ?? r.signal}: ${failureReason(r.stderr)}`;
    return failedRow(row, { target, threads, repeat }, why);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

function progress(r: RowResult, k: number, total: number): void {
  process.stderr.write(`[${k}/${total}] ${tableRow(r)}\n`);
}

async function main(): Promise<void> {
  if (values.child !== undefined) {
    await child(values.child);
    return;
  }
  const rows = selectRows(values.rows);
  const loadStart = loadavg()[0];
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const legend = new Map(rows.map((r) => [r.name, r.what]));
  const results: RowResult[] = [];
  const report = (): string => {
    const info = { target, date, cpu: cpus()[0]?.model ?? 'unknown CPU', cores: availableParallelism(), loadStart, loadEnd: loadavg()[0], repeat, fetches: values.fetches };
    return markdownReport(info, results, legend);
  };
  const total = rows.length * threadCounts.length;
  for (const row of rows) {
    for (const threads of threadCounts) {
      const r = runChild(row, threads);
      results.push(r);
      progress(r, results.length, total);
      if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      // rewritten after every row, so a suite stopped early still leaves the rows it measured
      if (values.out !== undefined) writeFileSync(values.out, report());
    }
  }
  if (!values.json) process.stdout.write(report());
}

await main();
// onnxruntime-web keeps worker threads alive; the suite is over.
process.exit(0);
