/**
 * Failures on js and c, with their exact diagnostics: failed asserts (at the top, inside a
 * parallel loop, inside heap buffers, nested) surface as KernelAssertError naming the kernel and
 * the message, and the executable keeps working afterwards; bad arguments are refused before any
 * native code runs; IR a CPU target cannot run is refused at emit time.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Expr } from '../../src/ir/expr.js';
import { add, and, buffer, floatImm, ge, intImm, load, lt, mul, variable } from '../../src/ir/expr.js';
import type { PrimFunc, Stmt } from '../../src/tir/stmt.js';
import { allocate, assertStmt, forLoop, primFunc, seq, store } from '../../src/tir/stmt.js';
import { CodegenError, KernelArgError, KernelAssertError } from '../../src/codegen/abi.js';
import type { Executable } from '../../src/codegen/target.js';
import { createCBackend } from '../../src/codegen/c/backend.js';
import { createJsBackend } from '../../src/codegen/js/backend.js';
import { NO_CC, TARGETS, tempDir } from './harness.js';
import { rmSync } from 'node:fs';

const N = 64;
const loop = (name: string, n: number, body: (v: Expr) => Stmt, kind: 'serial' | 'parallel' = 'serial'): Stmt => {
  const v = variable(name);
  return forLoop(v, intImm(0), intImm(n), body(v), kind);
};

function guarded(name: string, kind: 'serial' | 'parallel', scratch: 'none' | 'heap' | 'nested'): PrimFunc {
  const inp = buffer('in', 'float32', [N]);
  const out = buffer('out', 'float32', [N]);
  const g1 = buffer('g1', 'float32', [N], 'global');
  const g2 = buffer('g2', 'float32', [N], 'local');
  const big = buffer('big', 'float32', [8192], 'local');
  const checked = (i: Expr): Stmt =>
    assertStmt(and(ge(load(inp, [i]), floatImm(0)), lt(load(inp, [i]), floatImm(100))), `${name}: input out of range`, store(out, [i], mul(load(inp, [i]), floatImm(2))));
  let body: Stmt;
  if (scratch === 'none') body = loop('i', N, checked, kind);
  else if (scratch === 'heap') body = loop('i', N, (i) => allocate(g1, seq(store(g1, [intImm(0)], floatImm(1)), checked(i))), kind);
  else body = allocate(g1, allocate(big, loop('i', N, (i) => allocate(g2, seq(store(g2, [i], floatImm(1)), checked(i))), kind)));
  return primFunc(name, [inp, out], body);
}

function copy(name = 'copy'): PrimFunc {
  const a = buffer('a', 'float32', [8]);
  const b = buffer('b', 'float32', [8]);
  const o = buffer('o', 'float32', [8]);
  return primFunc(name, [a, b, o], loop('i', 8, (i) => store(o, [i], add(load(a, [i]), load(b, [i])))));
}

/** `copy` declaring that its output may be passed the memory of its first input. */
const inPlaceCopy = (): PrimFunc => ({ ...copy('copy_in_place'), aliases: [{ written: 2, read: 0 }] });

const FUNCS = [
  guarded('top', 'serial', 'none'),
  guarded('par', 'parallel', 'none'),
  guarded('heap', 'serial', 'heap'),
  guarded('heap_par', 'parallel', 'heap'),
  guarded('nested', 'serial', 'nested'),
  guarded('nested_par', 'parallel', 'nested'),
  copy(),
  inPlaceCopy(),
];

describe.each(TARGETS)('target $name', (t) => {
  if (!t.available) {
    it.skip(NO_CC, () => undefined);
    return;
  }
  const dir = tempDir();
  let exe: Executable;
  beforeAll(async () => {
    const backend = t.make(dir);
    exe = await backend.load(backend.emit(FUNCS), { threads: 2 });
  });
  afterAll(() => {
    exe?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(FUNCS.slice(0, 6).map((f) => f.name))('%s: passes on good input, throws the assert message on bad input, then works again', (name) => {
    const good = Float32Array.from({ length: N }, (_, i) => i);
    const out = new Float32Array(N);
    exe.run(name, [good, out]);
    expect(out[N - 1]).toBe(2 * (N - 1));
    for (const bad of [-1, 1000]) {
      const input = good.slice();
      input[37] = bad;
      const run = (): void => exe.run(name, [input, new Float32Array(N)]);
      expect(run).toThrow(KernelAssertError);
      expect(run).toThrow(`kernel ${name}: assertion failed: ${name}: input out of range`);
    }
    exe.run(name, [good, out]);
    expect(out[5]).toBe(10);
  });

  it('refuses arguments that do not match the kernel', () => {
    const f = (n: number): Float32Array => new Float32Array(n);
    expect(() => exe.run('copy', [f(8), f(8)])).toThrow('kernel copy: expects 3 arguments, got 2');
    expect(() => exe.run('copy', [new Int32Array(8), f(8), f(8)])).toThrow('kernel copy: argument 0 (float32) must be a Float32Array, got Int32Array');
    expect(() => exe.run('copy', [f(8), f(8), f(4)])).toThrow('kernel copy: argument 2 needs 8 elements, got 4');
    const shared = f(16);
    expect(() => exe.run('copy', [shared.subarray(0, 8), f(8), shared.subarray(4, 12)])).toThrow(KernelArgError);
    expect(() => exe.run('copy', [shared.subarray(0, 8), f(8), shared.subarray(4, 12)])).toThrow('kernel copy: argument 2 is written and overlaps argument 0');
    expect(() => exe.run('nope', [])).toThrow('kernel nope: no such entry (artifact has: copy, copy_in_place, heap, heap_par, nested, nested_par, par, top)');
  });

  it('lets read-only arguments share memory, and writes into subarrays in place', () => {
    const a = Float32Array.from({ length: 8 }, (_, i) => i);
    const out = new Float32Array(12);
    exe.run('copy', [a, a, out.subarray(4)]);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 2, 4, 6, 8, 10, 12, 14]);
  });

  it('runs a declared alias in place, and refuses every other overlap', () => {
    const a = Float32Array.from({ length: 8 }, (_, i) => i);
    const b = new Float32Array(8).fill(10);
    exe.run('copy_in_place', [a, b, a]);
    expect(Array.from(a)).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
    // the same arrays, but for an entry that declares no alias
    expect(() => exe.run('copy', [a, b, a])).toThrow('kernel copy: argument 2 is written and overlaps argument 0');
    // the output over the input the entry did not declare
    expect(() => exe.run('copy_in_place', [a, b, b])).toThrow('kernel copy_in_place: argument 2 is written and overlaps argument 1');
    // the declared pair, but shifted: element i would be read after element i - 2 was written
    const shared = new Float32Array(10);
    expect(() => exe.run('copy_in_place', [shared.subarray(2), b, shared.subarray(0, 8)])).toThrow('kernel copy_in_place: argument 2 is written and overlaps argument 0');
  });
});

describe('declared aliases', () => {
  it('c drops restrict from the aliased parameters only', () => {
    const dir = tempDir();
    const source = String(createCBackend({ cacheDir: dir }).emit([inPlaceCopy()]).code);
    rmSync(dir, { recursive: true, force: true });
    expect(source).toContain('kiln_impl_copy_in_place(const float *a_0, const float *restrict b_1, float *o_2, int32_t kiln_nthreads)');
  });

  it('are refused at emit time between parameters that cannot share memory', () => {
    // Rule: an alias pairs a written parameter with a read-only one of the same dtype and length.
    const bad = { ...copy('bad'), aliases: [{ written: 1, read: 0 }] };
    expect(() => createJsBackend().emit([bad])).toThrow('codegen abi: kernel bad: declares an alias between parameters that cannot share memory');
  });
});

describe('executables after dispose', () => {
  it.each(TARGETS.filter((t) => t.available))('$name refuses to run', async (t) => {
    const dir = tempDir();
    const backend = t.make(dir);
    const exe = await backend.load(backend.emit([copy()]));
    exe.dispose();
    expect(() => exe.run('copy', [new Float32Array(8), new Float32Array(8), new Float32Array(8)])).toThrow('kernel copy: executable was disposed');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('IR that CPU targets refuse at emit time', () => {
  const a = buffer('a', 'float32', [4, 4]);
  const flags = buffer('flags', 'bool', [4]);
  const ints = buffer('ints', 'int32', [4]);
  const shared = buffer('s', 'float32', [4], 'shared');
  const i = variable('i');
  const bad: [string, PrimFunc, string][] = [
    // identifiers are numbered per function in order of first use (params first)
    ['a thread-bound loop', primFunc('bound', [a], forLoop(i, intImm(0), intImm(4), store(a, [i], floatImm(0)), 'thread', 'threadIdx.x')), `loop i_1 is bound to threadIdx.x; CPU targets have no GPU threads`],
    ['a shared buffer', primFunc('shared', [a], allocate(shared, store(a, [intImm(0)], floatImm(0)))), `buffer s_1: 'shared' scope needs a GPU target`],
    ['an unflattened load', primFunc('multi', [a], store(a, [intImm(0)], load(a, [intImm(0), intImm(1)]))), `load of a_0 has 2 indices; codegen expects flattened buffers`],
    ['arithmetic on bool', primFunc('boolsum', [flags], store(flags, [intImm(0)], add(load(flags, [intImm(0)]), load(flags, [intImm(1)])))), "arithmetic 'add' on bool"],
    ['a math call on an integer', primFunc('intexp', [ints], store(ints, [intImm(0)], { kind: 'call', fn: 'exp', args: [intImm(1)], dtype: 'int32', lanes: 1 })), "math call 'exp' on int32"],
  ];
  const backends = [createJsBackend(), createCBackend({ cc: '/nonexistent/cc' })];

  it.each(backends.flatMap((b) => bad.map(([what, f, msg]) => [b.name, what, b, f, msg] as const)))('%s: %s', (name, _, b, f, msg) => {
    expect(() => b.emit([f])).toThrow(CodegenError);
    expect(() => b.emit([f])).toThrow(`codegen ${name}: kernel ${f.name}: ${msg}`);
  });

  it.each(backends)('$name refuses duplicate and non-identifier entry names', (b) => {
    const f = copy();
    expect(() => b.emit([f, f])).toThrow(`codegen ${b.name}: kernel copy: two kernels share this name`);
    expect(() => b.emit([{ ...f, name: 'x"); evil(' }])).toThrow(`codegen ${b.name}: kernel "x\\"); evil(": entry name is not a plain identifier`);
  });
});
