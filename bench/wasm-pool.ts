/**
 * @file `npx tsx bench/wasm-pool.ts [--work 0,256,1024,4096] [--extent 8] [--regions 64] [--threads 1,2] [--gap 0]`
 *
 * What one parallel region costs on the wasm thread pool (src/codegen/wasm/parallel.ts, pool.ts).
 * An entry runs `--regions` parallel loops back to back, each of `--extent` iterations that
 * update `--work` floats apiece (about a nanosecond each), like a model's chain of small kernels.
 * Per thread count and work it prints the median time of one region in µs, both inside one entry
 * (regions back to back) and for an entry holding a single region called from JS (what the
 * executor does between kernels), and the speed-up over one thread in the same run.
 * At one thread the module is built threaded but run without workers, so it measures the same
 * code; `serial` is the module built for one thread (no shared memory, no dispatch at all).
 * `--gap US` busy-waits that long on the calling thread before each call of the single region,
 * like a serial kernel between two parallel ones: beyond the workers' spin (parallel.ts
 * SPIN_CHECKS, about 16 µs) they sleep, and the region pays for waking them.
 * `ops` is a region's estimated work (src/codegen/wasm/work.ts); the pool runs every region here,
 * however small, and a model's loops below MIN_PARALLEL_WORK run on the calling thread alone.
 */

import { parseArgs } from 'node:util';
import type { Executable } from '../src/codegen/target.js';
import { loadWasm, wasmBackend } from '../src/codegen/wasm/index.js';
import { workOf } from '../src/codegen/wasm/work.js';
import type { Expr } from '../src/ir/expr.js';
import { add, buffer, floatImm, intImm, load, mul, variable } from '../src/ir/expr.js';
import type { ForKind, PrimFunc, Stmt } from '../src/tir/stmt.js';
import { forLoop, primFunc, seq, store } from '../src/tir/stmt.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    work: { type: 'string', default: '0,256,1024,4096' },
    extent: { type: 'string', default: '8' },
    regions: { type: 'string', default: '64' },
    threads: { type: 'string', default: '1,2' },
    seconds: { type: 'string', default: '1' },
    gap: { type: 'string', default: '0' },
  },
});
const list = (s: string): number[] => s.split(',').map(Number);
const extent = Number(values.extent);
const regions = Number(values.regions);
const seconds = Number(values.seconds);
const gapMs = Number(values.gap) / 1000;

const loop = (n: number, body: (i: Expr) => Stmt, kind: ForKind = 'serial'): Stmt => {
  const i = variable('i');
  return forLoop(i, intImm(0), intImm(n), body(i), kind);
};

/** `count` parallel loops of `extent` iterations; iteration i scales its `work` floats of C. */
function regionsKernel(name: string, count: number, work: number): PrimFunc {
  const w = Math.max(1, work);
  const C = buffer('C', 'float32', [extent * w]);
  const region = (): Stmt =>
    loop(extent, (i) => loop(work, (j) => {
      const at = add(mul(i, intImm(w)), j);
      return store(C, [at], add(mul(load(C, [at]), floatImm(0.5)), floatImm(1)));
    }), 'parallel');
  return primFunc(name, [C], seq(...Array.from({ length: count }, region)));
}

/** Median µs per region of `name` (holding `count` regions), timed for about `seconds`, each call `gap` ms after the last. */
function time(exe: Executable, name: string, count: number, c: Float32Array, gap = 0): number {
  for (let k = 0; k < 50; k++) exe.run(name, [c]);
  const samples: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until || samples.length < 20) {
    for (const end = performance.now() + gap; performance.now() < end; ) {
      // serial work on the calling thread
    }
    const t0 = performance.now();
    exe.run(name, [c]);
    samples.push(((performance.now() - t0) * 1000) / count);
  }
  return median(samples);
}

async function main(): Promise<void> {
  console.log(`extent ${extent}, ${regions} regions per entry, single regions ${values.gap} µs apart; µs per region (median), speed-up over 1 thread`);
  console.log('| work | ops | threads | back to back | speed-up | one per call | speed-up |');
  console.log('|---:|---:|---|---:|---:|---:|---:|');
  for (const work of list(values.work)) {
    const funcs = [regionsKernel('many', regions, work), regionsKernel('one', 1, work)];
    const ops = workOf(funcs[1].body);
    const c = new Float32Array(extent * Math.max(1, work));
    let base: [number, number] | undefined;
    const rows: [string, Executable][] = [['serial', await wasmBackend.load(wasmBackend.emit(funcs, { threads: 1 }), { threads: 1 })]];
    const built = wasmBackend.emit(funcs, { threads: 2 });
    // every region goes to the pool, however small: this measures what the threshold is chosen from
    for (const t of list(values.threads)) rows.push([String(t), await loadWasm(built, { threads: t, minParallelWork: 0 })]);
    for (const [label, exe] of rows) {
      const many = time(exe, 'many', regions, c);
      const one = time(exe, 'one', 1, c, gapMs);
      if (label === '1') base = [many, one];
      const up = (b: number | undefined, x: number): string => (b === undefined ? '' : (b / x).toFixed(2));
      console.log(`| ${work} | ${ops} | ${label} | ${many.toFixed(2)} | ${up(base?.[0], many)} | ${one.toFixed(2)} | ${up(base?.[1], one)} |`);
      exe.dispose();
    }
  }
}

await main();
