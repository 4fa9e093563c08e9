/**
 * @file `npx tsx bench/c-region.ts [--regions 2000] [--repeat 15] [--threads 1,2]`
 *
 * What one parallel loop costs on the c target (kiln's thread pool, src/codegen/c/pool.ts) beyond
 * its work: a kernel runs `--regions` parallel loops in a row (a serial loop around them), each
 * of 64 iterations that store one float (`empty`) or sum 256 floats (`small`), and the median
 * time of a kernel call divided by the number of loops is printed. For scale, OpenMP (libgomp,
 * which the c target used before) cost 12 µs per empty loop on one thread here.
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

const dir = mkdtempSync(join(tmpdir(), 'kiln-region-'));
try {
  const backend = createCBackend({ cacheDir: dir });
  const artifact = backend.emit([regionKernel('empty', false), regionKernel('small', true)]);
  for (const threads of values.threads.split(',').map(Number)) {
    const exe = await backend.load(artifact, { threads });
    for (const kernel of ['empty', 'small']) {
      const times: number[] = [];
      const out = new Float32Array(WIDTH);
      exe.run(kernel, [out]);
      for (let k = 0; k < REPEAT; k++) {
        const t0 = performance.now();
        exe.run(kernel, [out]);
        times.push(((performance.now() - t0) * 1000) / REGIONS);
      }
      console.log(`threads ${threads} ${kernel}: ${median(times).toFixed(2)} µs per parallel loop`);
    }
    exe.dispose();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
