/**
 * @file `kiln compare MODEL --input … [--target T] [--threads N] [--repeat N] [--json] [--fetches]`:
 * kiln against onnxruntime-node on the same inputs. Both run once untimed (kiln compiles then),
 * then `repeat` times each, alternating in blocks with idle pauses between them (timing.ts), so
 * machine noise hits both alike and neither side's spinning pool slows the other; latencies are
 * medians. With --fetches both sides' timed runs write their outputs into arrays allocated once.
 * Each output passes when max_abs ≤ 1e-4·max|reference| + 1e-5; any other result exits 1.
 * With --records FILE kiln runs the tuned schedules, and the same model with the default
 * strategies (untuned) is timed in the same alternation, so the report gives tuning's margin
 * measured side by side rather than across two runs minutes apart on a drifting machine.
 *
 * With --json the report is one object:
 *   {"model":…,"target":…,"threads":…,"outputs":[{"name":…,"max_abs":…,"max_rel":…}],
 *    "kiln_ms":…,"peer_ms":…,"ratio":…,"ok":true}
 * and with --records also "untuned_ms" and "tuned_ratio" (kiln_ms / untuned_ms).
 */

import { InferenceSession } from '../api/session.js';
import { quote } from '../graph/text.js';
import { feedRecord, fetchesLike } from './inputs.js';
import { COMMON_OPTIONS, FETCHES_OPTION, parseCommon, prepareFeeds, RELAXED_SIMD_OPTION, say } from './options.js';
import type { Peer } from './peer.js';
import { createPeer } from './peer.js';
import type { OutputError } from './report.js';
import { fmt, median, ms, outputError } from './report.js';
import { alternateBlocks } from './timing.js';

export interface Timed {
  readonly kilnMs: number;
  readonly peerMs: number;
  /** with tuning records: the model with the default strategies */
  readonly untunedMs?: number;
}

export async function compareCommand(args: readonly string[]): Promise<number> {
  const opts = parseCommon(args, { ...COMMON_OPTIONS, ...RELAXED_SIMD_OPTION, ...FETCHES_OPTION, json: { type: 'boolean', default: false } });
  const session = await InferenceSession.create(opts.model, { target: opts.target, threads: opts.threads, tuningRecords: opts.records, relaxedSimd: opts.flags['relaxed-simd'] });
  let peer: Peer | null = null;
  let untuned: InferenceSession | null = null;
  try {
    const ort = await createPeer(opts.model, opts.threadsShown);
    peer = ort;
    const feeds = feedRecord(prepareFeeds(session, opts));
    const [ours, ref] = [await session.run(feeds), await ort.run(feeds)];
    const errors = session.outputNames.map((name) => ({ name, ...outputError(ours[name], ref[name] ?? missing(name)) }));
    const [ourFetches, refFetches] = opts.flags.fetches ? [fetchesLike(ours), fetchesLike(ref)] : [undefined, undefined];
    const sides = [() => session.run(feeds, ourFetches), () => ort.run(feeds, refFetches)];
    if (opts.records !== undefined) {
      const plain = await InferenceSession.create(opts.model, { target: opts.target, threads: opts.threads, relaxedSimd: opts.flags['relaxed-simd'] });
      untuned = plain;
      const plainFetches = opts.flags.fetches ? fetchesLike(await plain.run(feeds)) : undefined;
      sides.push(() => plain.run(feeds, plainFetches));
    }
    const [kilnMs, peerMs, untunedMs] = await alternateBlocks(sides, opts.repeat);
    const timed = { kilnMs: median(kilnMs), peerMs: median(peerMs), ...(untunedMs ? { untunedMs: median(untunedMs) } : {}) };
    const ok = errors.every((e) => e.ok);
    if (opts.flags.json) say(JSON.stringify(compareJson(opts.model, session.target, opts.threadsShown, errors, timed, ok)));
    else printReport(errors, timed, ok);
    return ok ? 0 : 1;
  } finally {
    await session.release();
    await untuned?.release();
    await peer?.release();
  }
}

function missing(name: string): never {
  throw new Error(`onnxruntime gave no output ${quote(name)}`);
}

export type NamedError = OutputError & { readonly name: string };

/** JSON has no Infinity: an incomparable output reports null errors. */
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export interface CompareReport {
  readonly model: string;
  readonly target: string;
  readonly threads: number;
  readonly outputs: readonly { readonly name: string; readonly max_abs: number | null; readonly max_rel: number | null }[];
  readonly kiln_ms: number;
  readonly peer_ms: number;
  readonly ratio: number;
  readonly untuned_ms?: number;
  readonly tuned_ratio?: number;
  readonly ok: boolean;
}

/** The --json report; the benchmark suite (bench/suite.ts) writes these fields too. */
export function compareJson(model: string, target: string, threads: number, errors: readonly NamedError[], t: Timed, ok: boolean): CompareReport {
  return {
    model,
    target,
    threads,
    outputs: errors.map((e) => ({ name: e.name, max_abs: finite(e.maxAbs), max_rel: finite(e.maxRel) })),
    kiln_ms: t.kilnMs,
    peer_ms: t.peerMs,
    ratio: t.kilnMs / t.peerMs,
    ...(t.untunedMs !== undefined ? { untuned_ms: t.untunedMs, tuned_ratio: t.kilnMs / t.untunedMs } : {}),
    ok,
  };
}

function printReport(errors: readonly NamedError[], t: Timed, ok: boolean): void {
  for (const e of errors) {
    const detail = e.mismatch ?? `max_abs ${fmt(e.maxAbs)}  max_rel ${fmt(e.maxRel)}`;
    say(`output ${quote(e.name)}: ${detail}  ${e.ok ? 'ok' : 'OUT OF TOLERANCE'}`);
  }
  say(`kiln ${ms(t.kilnMs)}  onnxruntime ${ms(t.peerMs)}  ratio kiln/onnxruntime ${fmt(t.kilnMs / t.peerMs)}`);
  if (t.untunedMs !== undefined) say(`kiln untuned ${ms(t.untunedMs)}  ratio tuned/untuned ${fmt(t.kilnMs / t.untunedMs)}`);
  say(ok ? 'ok' : 'FAILED: outputs differ beyond 1e-4·max|ref| + 1e-5');
}
