/**
 * @file `kiln run MODEL --input NAME=DIMS … [--target T] [--threads N] [--repeat N] [--profile]
 * [--fetches]`: compiles the model for the given shapes, runs it once (compile time reported
 * apart), then `repeat` timed runs; prints each output's summary and the median latency, and with
 * --profile the median time of every kernel, slowest first. With --fetches the timed runs write
 * the outputs into arrays allocated once, so a kernel that writes an output is not charged for
 * faulting in a new array's memory each run.
 */

import { InferenceSession } from '../api/session.js';
import type { KernelTime } from '../runtime/executor.js';
import { quote } from '../graph/text.js';
import type { Feed } from './inputs.js';
import { feedRecord, fetchesLike } from './inputs.js';
import { median, ms, summarize } from './report.js';
import type { CommonOptions } from './options.js';
import { COMMON_OPTIONS, FETCHES_OPTION, parseCommon, prepareFeeds, RELAXED_SIMD_OPTION, say } from './options.js';

export async function runCommand(args: readonly string[]): Promise<number> {
  const opts = parseCommon(args, { ...COMMON_OPTIONS, ...RELAXED_SIMD_OPTION, ...FETCHES_OPTION, profile: { type: 'boolean', default: false } });
  const session = await InferenceSession.create(opts.model, { target: opts.target, threads: opts.threads, tuningRecords: opts.records, relaxedSimd: opts.flags['relaxed-simd'] });
  try {
    const feeds = prepareFeeds(session, opts);
    header(opts, feeds);
    const record = feedRecord(feeds);
    const t0 = performance.now();
    const first = await session.run(record);
    say(`compile + first run: ${ms(performance.now() - t0)}`);
    for (const name of session.outputNames) say(`output ${quote(name)}: ${summarize(first[name])}`);
    const fetches = opts.flags.fetches ? fetchesLike(first) : {};
    const times: number[] = [];
    const kernels: KernelTime[][] = [];
    for (let r = 0; r < opts.repeat; r++) {
      const t = performance.now();
      if (opts.flags.profile) kernels.push([...(await session.runWithProfile(record, fetches)).kernels]);
      else await session.run(record, fetches);
      times.push(performance.now() - t);
    }
    const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
    say(`latency: median ${ms(median(times))} over ${plural(opts.repeat, 'run')} (target ${session.target}, ${plural(opts.threadsShown, 'thread')})`);
    if (opts.flags.profile) printProfile(kernels);
    return 0;
  } finally {
    await session.release();
  }
}

function header(opts: CommonOptions, feeds: ReadonlyMap<string, Feed>): void {
  say(`model: ${quote(opts.model)}`);
  for (const [name, f] of feeds) say(`input ${quote(name)}: ${f.tensor.type}[${f.tensor.dims.join(', ')}] (${f.origin})`);
}

/** Median per kernel over the profiled runs, slowest first, with its share of the total. */
function printProfile(runs: readonly (readonly KernelTime[])[]): void {
  const first = runs[0] ?? [];
  const rows = first.map((k, i) => ({ ...k, ms: median(runs.map((r) => r[i].ms)) }));
  const total = rows.reduce((a, r) => a + r.ms, 0);
  say(`\nper-kernel median times (${rows.length} kernel${rows.length === 1 ? '' : 's'}, sum ${ms(total)}):`);
  say('kernel  ops                          ms    share  node');
  for (const r of [...rows].sort((a, b) => b.ms - a.ms)) {
    const share = total > 0 ? ((100 * r.ms) / total).toFixed(1) : '0.0';
    say(`${r.entry.padEnd(7)} ${r.op.slice(0, 24).padEnd(24)} ${r.ms.toFixed(3).padStart(9)} ${share.padStart(6)}%  ${r.label}`);
  }
}
