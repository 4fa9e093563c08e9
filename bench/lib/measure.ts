/**
 * @file One suite row at one thread count, in the process it runs in: kiln, onnxruntime-node and
 * onnxruntime-web on the same seeded input.
 *
 * 1. Compile time: a kiln session is created and compiled for the row's shapes (`prepare`), twice.
 *    The suite starts this process with a fresh, empty kiln disk cache (XDG_CACHE_HOME pointing at
 *    a new directory), so the first is a cold compile; the second loads the compiled model the
 *    first stored in that cache (src/runtime/cache/), on either target.
 * 2. Correctness: kiln's outputs against onnxruntime-node's with `kiln compare`'s tolerance.
 * 3. Latency: first WARMUP_MS of untimed runs of the three sides in turn, then alternating blocks
 *    of runs (kiln, node, web) with idle pauses between them (src/cli/timing.ts, as `kiln
 *    compare` times). Medians per side. The number of timed runs per side is
 *    `repeat`, lowered for slow rows so one side takes about SIDE_BUDGET_MS, but not below MIN_RUNS
 *    unless `repeat` is lower.
 */

import { InferenceSession } from '../../src/api/session.js';
import type { Tensor } from '../../src/api/tensor.js';
import { toHostTensor } from '../../src/api/tensor.js';
import type { CompareReport } from '../../src/cli/compare.js';
import { compareJson } from '../../src/cli/compare.js';
import { feedRecord, fetchesLike, makeFeeds, parseInputs } from '../../src/cli/inputs.js';
import type { Peer } from '../../src/cli/peer.js';
import { createPeer, wrapOrtSession } from '../../src/cli/peer.js';
import { median, outputError } from '../../src/cli/report.js';
import { alternateBlocks, settle } from '../../src/cli/timing.js';
import type { Row } from './rows.js';

const SIDE_BUDGET_MS = 4000;
const MIN_RUNS = 5;
/**
 * V8 compiles the hot functions of a wasm module again in background threads (tier-up), those of
 * onnxruntime-web's large module for about two seconds after its first run; timed meanwhile, the
 * side after it (kiln's, first in each block) ran up to 2.5× slower on 2 cores.
 */
const WARMUP_MS = 2000;

export type Target = 'c' | 'wasm';

/** One line of the suite's JSON output: `kiln compare`'s fields and the suite's own. */
export type RowResult = Partial<CompareReport> & {
  readonly row: string;
  readonly model: string;
  readonly target: string;
  readonly threads: number;
  readonly ok: boolean;
  readonly peer_web_ms?: number | null;
  readonly ratio_web?: number | null;
  readonly compile_cold_ms?: number;
  readonly compile_cached_ms?: number;
  /** timed runs per side */
  readonly runs?: number;
  /** why the row could not be measured */
  readonly error?: string;
  /** why onnxruntime-web could not run the row (the rest of the row stands) */
  readonly web_error?: string;
};

export interface MeasureOptions {
  readonly target: Target;
  readonly threads: number;
  readonly repeat: number;
  readonly tuningRecords?: string;
  /** every side writes its outputs into tensors allocated once (`run(feeds, fetches)`) */
  readonly fetches?: boolean;
}

/** onnxruntime-web's WebAssembly backend (SIMD, threads) in this process; threads are fixed at its first use. */
async function createWebPeer(model: Uint8Array, threads: number): Promise<Peer> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  return wrapOrtSession(ort, session);
}

type Feeds = Record<string, Tensor>;

/** The row's seeded random inputs, named as the session names them. */
function rowFeeds(session: InferenceSession, row: Row): Feeds {
  const inputs = session.executor.inputs;
  const specs = inputs.map((v, k) => `${v.name}=${(row.inputs[k] ?? []).join('x')}`);
  return feedRecord(makeFeeds(inputs, parseInputs(specs, inputs), 1));
}

/** A session created and compiled for `feeds`, and how long that took. */
async function compiled(model: Uint8Array, opts: MeasureOptions, row: Row, feeds: Feeds | null): Promise<{ session: InferenceSession; feeds: Feeds; ms: number }> {
  const t0 = performance.now();
  const session = await InferenceSession.create(model, { target: opts.target, threads: opts.threads, tuningRecords: opts.tuningRecords });
  // making the random input is not compile time
  const t1 = performance.now();
  const f = feeds ?? rowFeeds(session, row);
  const t2 = performance.now();
  await session.executor.prepare(session.executor.inputs.map((v) => toHostTensor(f[v.name])));
  return { session, feeds: f, ms: performance.now() - t2 + (t1 - t0) };
}

async function firstRun<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await run();
  return { value, ms: performance.now() - t };
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/** onnxruntime-web's session and first run; null with the reason where it cannot run the row. */
async function tryWeb(model: Uint8Array, threads: number, feeds: Feeds): Promise<{ web: Peer | null; ms: number; outputs?: Feeds; error?: string }> {
  let web: Peer | null = null;
  try {
    web = await createWebPeer(model, threads);
    const first = await firstRun(() => (web as Peer).run(feeds));
    return { web, ms: first.ms, outputs: first.value };
  } catch (e) {
    await web?.release();
    return { web: null, ms: 0, error: message(e) };
  }
}

export async function measureRow(row: Row, opts: MeasureOptions): Promise<RowResult> {
  const model = row.model();
  const cold = await compiled(model, opts, row, null);
  await cold.session.release();
  const { session, feeds, ms: cachedMs } = await compiled(model, opts, row, cold.feeds);
  let peer: Peer | null = null;
  let web: Peer | null = null;
  try {
    const ours = await firstRun(() => session.run(feeds));
    peer = await createPeer(model, opts.threads);
    const node = peer;
    const ref = await firstRun(() => node.run(feeds));
    const w = await tryWeb(model, opts.threads, feeds);
    web = w.web;
    const errors = session.outputNames.map((name) => {
      const r = ref.value[name];
      if (r === undefined) throw new Error(`onnxruntime-node gave no output '${name}'`);
      return { name, ...outputError(ours.value[name], r) };
    });
    const slowest = Math.max(ours.ms, ref.ms, w.ms);
    const runs = Math.min(opts.repeat, Math.max(MIN_RUNS, Math.floor(SIDE_BUDGET_MS / slowest)));
    // each side its own tensors, shaped like the outputs of its first run
    const own = (outputs: Record<string, Tensor>): Record<string, Tensor> | undefined => (opts.fetches ? fetchesLike(outputs) : undefined);
    const [kilnFetches, nodeFetches, webFetches] = [own(ours.value), own(ref.value), w.outputs && own(w.outputs)];
    const runKiln = (): Promise<unknown> => session.run(feeds, kilnFetches);
    const runNode = (): Promise<unknown> => node.run(feeds, nodeFetches);
    const runWeb = web ? (): Promise<unknown> => (web as Peer).run(feeds, webFetches) : null;
    const sides = [runKiln, runNode, ...(runWeb ? [runWeb] : [])];
    for (const t0 = performance.now(); performance.now() - t0 < WARMUP_MS; ) for (const run of sides) await run();
    await settle();
    const [kilnMs, nodeMs, webMs] = await alternateBlocks(sides, runs);
    const t = { kilnMs: median(kilnMs), peerMs: median(nodeMs) };
    const webMedian = web ? median(webMs) : null;
    return {
      row: row.name,
      ...compareJson(row.source, session.target, opts.threads, errors, t, errors.every((e) => e.ok)),
      peer_web_ms: webMedian,
      ratio_web: webMedian === null ? null : t.kilnMs / webMedian,
      compile_cold_ms: cold.ms,
      compile_cached_ms: cachedMs,
      runs,
      ...(w.error === undefined ? {} : { web_error: w.error }),
    };
  } finally {
    await session.release();
    await peer?.release();
    await web?.release();
  }
}

/** A row that could not be measured, with the reason. */
export function failedRow(row: Row, opts: MeasureOptions, e: unknown): RowResult {
  return { row: row.name, model: row.source, target: opts.target, threads: opts.threads, ok: false, error: message(e) };
}
