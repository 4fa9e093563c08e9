/**
 * @file `npx tsx bench/c-region.ts [--regions 2000] [--repeat 15] [--threads 1,2] [--gap 100000]`
 *
 * What one parallel loop costs on the c target (kiln's thread pool, src/codegen/c/pool.ts) beyond
 * its work: a kernel runs `--regions` parallel loops in a row (a serial loop around them), each
 * of 64 iterations that store one float (`empty`) or sum 256 floats (`small`), and the median
 * time of a kernel call divided by the number of loops is printed. For scale, OpenMP (libgomp,
 * which the c target used before) cost 12 µs per empty loop on one thread here.
 *
 * `gap` is what a model's serial kernels between parallel ones see: each empty parallel loop
 * follows `--gap` steps of a serial dependent chain (printed in µs at the first thread count),
 * over which idle workers either spin, competing with the chain for the cores, or go to sleep
 * and must be woken. It prints what a loop and its chain take beyond the same on one thread.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Expr } from '../src/ir/expr.js';
import { add, buffer, cast, floatImm, intImm, load, mul, variable } from '../src/ir/expr.js';
import { createCBackend } from '../src/codegen/c/backend.js';
import type { PrimFunc, Stmt } from '../src/tir/stmt.js';
import { allocate, forLoop, primFunc, seq, store } from '../src/tir/stmt.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    regions: { type: 'string', default: '2000' },
    repeat: { type: 'string', default: '15' },
    threads: { type: 'string', default: '1,2' },
    gap: { type: 'string', default: '100000' },
  },
});
const REGIONS = Number(values.regions);
const REPEAT = Number(values.repeat);
const WIDTH = 64;
const SUM = 256;
const GAP = Number(values.gap);
const GAP_REGIONS = Math.max(1, Math.round(REGIONS / 20));

/** `regions` parallel loops of 64 iterations; `small` adds a 256-element sum to each iteration. */
function regionKernel(name: string, small: boolean, regions = REGIONS, gap = 0): PrimFunc {
  const out = buffer('out', 'float32', [WIDTH]);
  const r = variable('r');
  const i = variable('i');
  const value = (): Expr => add(cast(r, 'float32'), cast(i, 'float32'));
  let body: Stmt = store(out, [i], value());
  if (small) {
    const acc = buffer('acc', 'float32', [1], 'local');
    const k = variable('k');
    body = allocate(acc, seq(
      store(acc, [intImm(0)], floatImm(0)),
      forLoop(k, intImm(0), intImm(SUM), store(acc, [intImm(0)], add(load(acc, [intImm(0)]), mul(cast(k, 'float32'), value())))),
      store(out, [i], load(acc, [intImm(0)])),
    ));
  }
  let region: Stmt = forLoop(i, intImm(0), intImm(WIDTH), body, 'parallel');
  if (gap > 0) {
    // a chain of dependent multiply-adds the C compiler can neither vectorize nor shorten
    const acc = buffer('chain', 'float32', [1], 'local');
    const k = variable('k');
    region = seq(region, allocate(acc, seq(
      store(acc, [intImm(0)], floatImm(0)),
      forLoop(k, intImm(0), intImm(gap), store(acc, [intImm(0)], add(mul(load(acc, [intImm(0)]), floatImm(0.5)), cast(k, 'float32')))),
      store(out, [intImm(0)], load(acc, [intImm(0)])),
    )));
  }
  return primFunc(name, [out], forLoop(r, intImm(0), intImm(regions), region));
}

const dir = mkdtempSync(join(tmpdir(), 'kiln-region-'));
try {
  const backend = createCBackend({ cacheDir: dir });
  const artifact = backend.emit([regionKernel('empty', false), regionKernel('small', true), regionKernel('gap', false, GAP_REGIONS, GAP)]);
  const regions: Record<string, number> = { empty: REGIONS, small: REGIONS, gap: GAP_REGIONS };
  let first: number | null = null;
  for (const threads of values.threads.split(',').map(Number)) {
    const exe = await backend.load(artifact, { threads });
    for (const kernel of ['empty', 'small', 'gap']) {
      const times: number[] = [];
      const out = new Float32Array(WIDTH);
      exe.run(kernel, [out]);
      for (let k = 0; k < REPEAT; k++) {
        const t0 = performance.now();
        exe.run(kernel, [out]);
        times.push(((performance.now() - t0) * 1000) / regions[kernel]);
      }
      const t = median(times);
      if (kernel !== 'gap') console.log(`threads ${threads} ${kernel}: ${t.toFixed(2)} µs per parallel loop`);
      else if (first === null) {
        first = t;
        console.log(`threads ${threads} gap: ${t.toFixed(1)} µs per parallel loop and its serial chain`);
      } else console.log(`threads ${threads} gap: ${(t - first).toFixed(2)} µs more per parallel loop and its serial chain`);
    }
    exe.dispose();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
