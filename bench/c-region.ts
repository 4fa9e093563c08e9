/**
 * @file `npx tsx bench/c-region.ts [--regions 2000] [--repeat 15] [--threads 1,2]`
 *
 * What one parallel loop costs on the c target beyond its work: a kernel runs `--regions`
 * parallel loops in a row (a serial loop around them), each of 64 iterations that store one
 * float (`empty`) or sum 256 floats (`small`), and the median time of a kernel call divided by
 * the number of loops is printed per parallel runtime (OpenMP and kiln's pool, alternating
 * blocks of calls so machine noise hits both).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Expr } from '../src/ir/expr.js';
import { add, buffer, cast, floatImm, intImm, load, mul, variable } from '../src/ir/expr.js';
import { createCBackend } from '../src/codegen/c/backend.js';
import type { Executable } from '../src/codegen/target.js';
import type { PrimFunc, Stmt } from '../src/tir/stmt.js';
import { allocate, forLoop, primFunc, seq, store } from '../src/tir/stmt.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    regions: { type: 'string', default: '2000' },
    repeat: { type: 'string', default: '15' },
    threads: { type: 'string', default: '1,2' },
  },
});
const REGIONS = Number(values.regions);
const REPEAT = Number(values.repeat);
const WIDTH = 64;
const SUM = 256;

/** `regions` parallel loops of 64 iterations; `small` adds a 256-element sum to each iteration. */
function regionKernel(name: string, small: boolean): PrimFunc {
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
  return primFunc(name, [out], forLoop(r, intImm(0), intImm(REGIONS), forLoop(i, intImm(0), intImm(WIDTH), body, 'parallel')));
}

async function open(parallel: 'openmp' | 'pool', dir: string, threads: number): Promise<Executable> {
  process.env.KILN_C_PARALLEL = parallel;
  const backend = createCBackend({ cacheDir: dir });
  return backend.load(backend.emit([regionKernel('empty', false), regionKernel('small', true)]), { threads });
}

const dir = mkdtempSync(join(tmpdir(), 'kiln-region-'));
try {
  for (const threads of values.threads.split(',').map(Number)) {
    const exes = { openmp: await open('openmp', dir, threads), pool: await open('pool', dir, threads) };
    for (const kernel of ['empty', 'small']) {
      const times: Record<string, number[]> = { openmp: [], pool: [] };
      const out = new Float32Array(WIDTH);
      for (let block = 0; block < REPEAT; block++) {
        for (const [name, exe] of Object.entries(exes)) {
          exe.run(kernel, [out]);
          const t0 = performance.now();
          exe.run(kernel, [out]);
          times[name].push(((performance.now() - t0) * 1000) / REGIONS);
        }
      }
      const m = { openmp: median(times.openmp), pool: median(times.pool) };
      console.log(`threads ${threads} ${kernel}: openmp ${m.openmp.toFixed(2)} µs/region, pool ${m.pool.toFixed(2)} µs/region (pool/openmp ${(m.pool / m.openmp).toFixed(2)})`);
    }
    for (const exe of Object.values(exes)) exe.dispose();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
