/**
 * @file How the c backend prepares a model's C for the compiler (codegen/c/backend.ts): a kernel
 * whose C is another's is compiled once and still callable under its own name; C past the split
 * size is dealt into several translation units, each built into a library of its own, and every
 * entry of every unit runs.
 */

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CArtifact } from '../../src/codegen/c/backend.js';
import { createCBackend } from '../../src/codegen/c/backend.js';
import { buffer, floatImm, intImm, load, mul, variable } from '../../src/ir/expr.js';
import type { PrimFunc } from '../../src/tir/stmt.js';
import { forLoop, primFunc, seq, store } from '../../src/tir/stmt.js';
import { TARGETS } from '../api/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-c-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** out[i] = in[i] · k, written `copies` times over (more C per kernel, the same result). */
function scale(name: string, k: number, copies = 1): PrimFunc {
  const a = buffer('a', 'float32', [64]);
  const o = buffer('o', 'float32', [64]);
  const i = variable('i');
  const body = Array.from({ length: copies }, () => forLoop(i, intImm(0), intImm(64), store(o, [i], mul(load(a, [i]), floatImm(k)))));
  return primFunc(name, [a, o], seq(...body));
}

function runScale(exe: { run: (e: string, a: Float32Array[]) => void }, entry: string): number {
  const out = new Float32Array(64);
  exe.run(entry, [Float32Array.from({ length: 64 }, (_, i) => i), out]);
  return out[63];
}

const libraries = (d: string): string[] => readdirSync(d).filter((f) => f.endsWith('.so'));

describe.skipIf(!TARGETS.includes('c'))('c translation units', () => {
  it('compiles a kernel whose C repeats another once, and calls it by both names', async () => {
    const backend = createCBackend({ cacheDir: join(dir, 'same') });
    const art = backend.emit([scale('k0', 2), scale('k1', 3), scale('k2', 2)]) as CArtifact;
    expect(art.same).toEqual({ k2: 'k0' });
    expect(art.entries).toEqual(['k0', 'k1', 'k2']);
    expect(art.code).not.toContain('kiln_entry_k2');
    const exe = await backend.load(art, { threads: 1 });
    expect([runScale(exe, 'k0'), runScale(exe, 'k1'), runScale(exe, 'k2')]).toEqual([126, 189, 126]);
    exe.dispose();
  });

  it('splits a large model into units built as separate libraries, every entry callable', async () => {
    const cacheDir = join(dir, 'split');
    const backend = createCBackend({ cacheDir });
    const funcs = Array.from({ length: 12 }, (_, k) => scale(`k${k}`, k + 1, 40));
    const art = backend.emit(funcs) as CArtifact;
    expect(art.units.length).toBeGreaterThanOrEqual(2);
    expect(art.units.every((u) => u.includes('kiln_manifest'))).toBe(true);
    const exe = await backend.load(art, { threads: 2 });
    // one library per unit, and the thread pool's library that every unit links
    expect(libraries(cacheDir)).toHaveLength(art.units.length + 1);
    expect(funcs.map((f) => runScale(exe, f.name))).toEqual(funcs.map((_, k) => 63 * (k + 1)));
    exe.dispose();
  });
});
