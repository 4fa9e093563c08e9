/**
 * @file Shared test harness for the CPU backends. A test file lists cases (a hand-built PrimFunc,
 * fresh arguments, and the values expected in some arguments afterwards, computed in the test),
 * and `runOnTargets` builds all of them into ONE artifact per target (one compiler run for c),
 * then checks every case on js and c. The c target is skipped, with a test saying so, when no
 * `cc` is installed.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DType } from '../../src/ir/dtype.js';
import type { Expr } from '../../src/ir/expr.js';
import { buffer, intImm, load, variable } from '../../src/ir/expr.js';
import type { PrimFunc } from '../../src/tir/stmt.js';
import { forLoop, primFunc, store } from '../../src/tir/stmt.js';
import type { Backend, Executable, HostArray } from '../../src/codegen/target.js';
import { createCBackend } from '../../src/codegen/c/backend.js';
import { createJsBackend } from '../../src/codegen/js/backend.js';

export const HAS_CC = spawnSync('cc', ['--version']).status === 0;
export const NO_CC = 'no C compiler (`cc`) found on PATH: c target tests skipped';

export interface Expected {
  /** which argument to check */
  readonly arg: number;
  readonly values: readonly (number | bigint)[];
  /** |actual - expected| <= atol + rtol * |expected|; exact (Object.is, NaN == NaN) when absent */
  readonly rtol?: number;
  readonly atol?: number;
}

export interface Case {
  readonly func: PrimFunc;
  readonly args: () => HostArray[];
  readonly expect: readonly Expected[];
}

export interface TargetUnderTest {
  readonly name: 'js' | 'c';
  readonly available: boolean;
  readonly make: (cacheDir: string) => Backend;
}

export const TARGETS: readonly TargetUnderTest[] = [
  { name: 'js', available: true, make: () => createJsBackend() },
  { name: 'c', available: HAS_CC, make: (cacheDir) => createCBackend({ cacheDir }) },
];

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kiln-codegen-'));
}

export function hostArray(dtype: DType, values: readonly (number | bigint)[]): HostArray {
  const nums = values.map(Number);
  switch (dtype) {
    case 'float32':
      return Float32Array.from(nums);
    case 'float64':
      return Float64Array.from(nums);
    case 'int8':
      return Int8Array.from(nums);
    case 'uint8':
    case 'bool':
      return Uint8Array.from(nums);
    case 'int32':
      return Int32Array.from(nums);
    case 'int64':
      return BigInt64Array.from(values.map((v) => BigInt(v)));
  }
}

/** `out[i] = body(in0[i], in1[i], …)` for i < n. */
export function elementwise(name: string, inputs: readonly DType[], out: DType, n: number, body: (...xs: Expr[]) => Expr): PrimFunc {
  const ins = inputs.map((t, k) => buffer(`in${k}`, t, [n]));
  const o = buffer('out', out, [n]);
  const i = variable('i');
  const value = body(...ins.map((b) => load(b, [i])));
  return primFunc(name, [...ins, o], forLoop(i, intImm(0), intImm(n), store(o, [i], value)));
}

function sameNumber(a: number, e: number): boolean {
  return Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e));
}

export function expectValues(actual: HostArray, exp: Expected, label: string): void {
  exp.values.forEach((e, k) => {
    const a = actual[k];
    const where = `${label}: argument ${exp.arg}[${k}] = ${a}, expected ${e}`;
    if (typeof e === 'bigint' || typeof a === 'bigint') {
      expect(BigInt(a), where).toBe(BigInt(e));
    } else if (exp.rtol === undefined && exp.atol === undefined) {
      expect(sameNumber(a, e), where).toBe(true);
    } else if (!sameNumber(a, e)) {
      expect(Math.abs(a - e) <= (exp.atol ?? 0) + (exp.rtol ?? 0) * Math.abs(e), where).toBe(true);
    }
  });
}

/** Builds all cases into one artifact per target and checks each case. */
export function runOnTargets(cases: readonly Case[], threads = 2): void {
  describe.each(TARGETS)('target $name', (t) => {
    if (!t.available) {
      it.skip(NO_CC, () => undefined);
      return;
    }
    const dir = tempDir();
    let exe: Executable;
    beforeAll(async () => {
      const backend = t.make(dir);
      exe = await backend.load(backend.emit(cases.map((c) => c.func)), { threads });
    });
    afterAll(() => {
      exe?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });
    it.each(cases.map((c) => [c.func.name, c] as const))('%s', (_, c) => {
      const args = c.args();
      exe.run(c.func.name, args);
      for (const e of c.expect) expectValues(args[e.arg], e, `${t.name} ${c.func.name}`);
    });
  });
}

/** Deterministic float32 values from random bit patterns (NaNs, infinities and subnormals included). */
export function randomBits(n: number, seed: number): Float32Array {
  const bits = new Uint32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    bits[i] = s >>> 0;
  }
  return new Float32Array(bits.buffer);
}
