/**
 * Indices on the c target are printed in 64-bit arithmetic (cIndex in src/codegen/c/expr.ts):
 * variables sign-extended, then + - * in int64_t, other operations widened whole. The results
 * must equal int32 index arithmetic wherever that does not overflow (negative partial sums,
 * divisions, nested loads as indices); and a register tile's loads then share one address
 * register with constant displacements, where int32 under -fwrapv needed a sign extension per
 * column.
 */

import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { add, broadcast, buffer, floatImm, floordiv, floormod, intImm, load, mul, ramp, sub, variable } from '../../../src/ir/expr.js';
import type { PrimFunc } from '../../../src/tir/stmt.js';
import { allocate, forLoop, primFunc, seq, store } from '../../../src/tir/stmt.js';
import { createCBackend } from '../../../src/codegen/c/backend.js';
import { compilerFlags } from '../../../src/codegen/c/compile.js';
import type { Case } from '../harness.js';
import { HAS_CC, runOnTargets, tempDir } from '../harness.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** out[(i - 6) * 2 + 12 + floormod(i, 2)] = in[idx[floordiv(i * 5, 4)]]: negative partial sums, divisions and a loaded index. */
function mixedIndices(): Case {
  const src = buffer('src', 'int32', [16]);
  const idx = buffer('idx', 'int32', [16]);
  const out = buffer('out', 'int32', [32]);
  const i = variable('i');
  const body = store(out, [add(add(mul(sub(i, 6), 2), 12), floormod(i, 2))], load(src, [load(idx, [floordiv(mul(i, 5), 4)])]));
  const idxValues = range(16).map((k) => 15 - k);
  const want = new Array<number>(32).fill(0);
  for (const k of range(12)) want[(k - 6) * 2 + 12 + (k % 2)] = 100 + idxValues[Math.floor((k * 5) / 4)];
  return {
    func: primFunc('mixed_indices', [src, idx, out], forLoop(i, intImm(0), intImm(12), body)),
    args: () => [Int32Array.from(range(16), (k) => 100 + k), Int32Array.from(idxValues), new Int32Array(32)],
    expect: [{ arg: 2, values: want }],
  };
}

runOnTargets([mixedIndices()]);

/**
 * A register tile of C columns: acc[c] += a[r*W + k + c*16] · b[k*16 : +16], rows r in a parallel
 * loop (the outlined body gets its range at run time, so GCC cannot bound r).
 */
function tile(): PrimFunc {
  const [R, W, K, C] = [8, 256, 64, 6];
  const a = buffer('a', 'float32', [R * W]);
  const b = buffer('b', 'float32', [K * 16]);
  const out = buffer('out', 'float32', [R * C * 16]);
  const acc = buffer('acc', 'float32', [C * 16], 'local');
  const [r, k] = [variable('r'), variable('k')];
  const cols = (f: (c: number) => ReturnType<typeof store>) => seq(...range(C).map(f));
  const v = (c: number) => ramp(intImm(c * 16), 1, 16);
  const body = allocate(acc, seq(
    cols((c) => store(acc, [v(c)], broadcast(floatImm(0), 16))),
    forLoop(k, intImm(0), intImm(K), cols((c) =>
      store(acc, [v(c)], add(load(acc, [v(c)]), mul(broadcast(load(a, [add(add(mul(r, W), k), c * 16)]), 16), load(b, [ramp(mul(k, 16), 1, 16)])))))),
    cols((c) => store(out, [ramp(add(mul(r, C * 16), c * 16), 1, 16)], load(acc, [v(c)]))),
  ));
  return primFunc('tile', [a, b, out], forLoop(r, intImm(0), intImm(R), body, 'parallel'));
}

describe.runIf(HAS_CC && arch() === 'x64')('register tile addressing', () => {
  const dir = tempDir();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints indices in int64_t arithmetic', () => {
    const code = createCBackend({ cc: 'unused' }).emit([tile()]).code as string;
    expect(code).toMatch(/a_\d+\[\(\(\(\(int64_t\)r_\d+ \* 256\) \+ \(int64_t\)k_\d+\) \+ 32\)\]/);
  });

  it('sign-extends no index inside the reduction loop', () => {
    const src = join(dir, 'tile.c');
    writeFileSync(src, createCBackend({ cc: 'unused' }).emit([tile()]).code);
    const flags = compilerFlags('fast').filter((f) => f !== '-shared');
    const asm = execFileSync('cc', [...flags, '-S', '-o', '-', src], { encoding: 'utf8' });
    const body = asm.slice(asm.indexOf('kiln_tile_par1_task:'));
    const lines = body.slice(0, body.indexOf('.cfi_endproc')).split('\n');
    const fmas = lines.flatMap((l, n) => (/vfmadd\d+ps/.test(l) ? [n] : []));
    expect(fmas).toHaveLength(6);
    const loop = lines.slice(fmas[0], fmas[fmas.length - 1]);
    expect(loop.filter((l) => /\b(movslq|cltq|cdqe|movsxd)\b/.test(l))).toEqual([]);
  });
});
