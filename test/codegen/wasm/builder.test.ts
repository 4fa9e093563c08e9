import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FunctionBuilder } from '../../../src/codegen/wasm/builder.js';
import { ModuleBuilder } from '../../../src/codegen/wasm/builder.js';
import { ByteSink, WasmEncodeError } from '../../../src/codegen/wasm/encode.js';
import type { Op, ValType } from '../../../src/codegen/wasm/opcodes.js';
import { debugNames } from './helpers.js';

type Fn = (...args: (number | bigint)[]) => number | bigint;

function instantiate(mb: ModuleBuilder, imports: WebAssembly.Imports = {}): Record<string, Fn> {
  const bytes = mb.finish();
  expect(WebAssembly.validate(bytes)).toBe(true);
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), imports).exports as Record<string, Fn>;
}

/** A module exporting one function per entry, each `(a, b) → a op b`. */
function binaryOps(type: ValType, ops: readonly Op[]): Record<string, Fn> {
  const mb = new ModuleBuilder();
  for (const op of ops) {
    const f = mb.func(op.replace('.', '_'), { params: [type, type], results: [op.includes('.eq') || op.includes('.lt') ? 'i32' : type] });
    f.code.localGet(f.params[0]).localGet(f.params[1]).op(op);
    mb.exportFunc(op, f.ref);
  }
  return instantiate(mb);
}

function leb(write: (s: ByteSink) => void): number[] {
  const s = new ByteSink();
  write(s);
  return [...s.finish()];
}

describe('encodings', () => {
  it('writes LEB128 like the spec examples', () => {
    expect(leb((s) => s.u32(624485))).toEqual([0xe5, 0x8e, 0x26]);
    expect(leb((s) => s.u32(0))).toEqual([0]);
    expect(leb((s) => s.s32(-123456))).toEqual([0xc0, 0xbb, 0x78]);
    expect(leb((s) => s.s32(64))).toEqual([0xc0, 0x00]);
    expect(leb((s) => s.s32(-64))).toEqual([0x40]);
    expect(leb((s) => s.s64(-1n))).toEqual([0x7f]);
    expect(() => leb((s) => s.u32(-1))).toThrow(WasmEncodeError);
  });

  it('round-trips any i64 constant through a module', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
        const mb = new ModuleBuilder();
        const f = mb.func('k', { params: [], results: ['i64'] });
        f.code.i64Const(v);
        mb.exportFunc('k', f.ref);
        expect(instantiate(mb).k()).toBe(v);
      }),
      { numRuns: 50 },
    );
  });
});

describe('scalar instructions', () => {
  it('computes i32 arithmetic with wrap-around', () => {
    const ex = binaryOps('i32', ['i32.add', 'i32.sub', 'i32.mul', 'i32.div_s', 'i32.rem_s', 'i32.and', 'i32.shl', 'i32.shr_s', 'i32.shr_u', 'i32.lt_s']);
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (a, b) => {
        expect(ex['i32.add'](a, b)).toBe((a + b) | 0);
        expect(ex['i32.sub'](a, b)).toBe((a - b) | 0);
        expect(ex['i32.mul'](a, b)).toBe(Math.imul(a, b));
        expect(ex['i32.div_s'](a, b)).toBe((a / b) | 0);
        expect(ex['i32.rem_s'](a, b)).toBe(a % b | 0);
        expect(ex['i32.and'](a, b)).toBe(a & b);
        expect(ex['i32.shl'](a, b)).toBe(a << b);
        expect(ex['i32.shr_s'](a, b)).toBe(a >> b);
        expect(ex['i32.shr_u'](a, b)).toBe((a >>> b) | 0);
        expect(ex['i32.lt_s'](a, b)).toBe(a < b ? 1 : 0);
      }),
      { numRuns: 200 },
    );
  });

  it('computes i64, f32 and f64 arithmetic', () => {
    const i64 = binaryOps('i64', ['i64.mul', 'i64.div_s', 'i64.sub']);
    expect(i64['i64.mul'](1n << 40n, 1n << 30n)).toBe(BigInt.asIntN(64, 1n << 70n));
    expect(i64['i64.div_s'](-7n, 2n)).toBe(-3n);
    expect(i64['i64.sub'](-(1n << 63n), 1n)).toBe((1n << 63n) - 1n);
    const f32 = binaryOps('f32', ['f32.add', 'f32.div', 'f32.min', 'f32.copysign']);
    expect(f32['f32.add'](0.1, 0.2)).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
    expect(f32['f32.div'](1, 3)).toBe(Math.fround(1 / 3));
    expect(f32['f32.min'](-0, 0)).toBe(-0);
    expect(f32['f32.copysign'](2, -1)).toBe(-2);
    const f64 = binaryOps('f64', ['f64.mul', 'f64.max']);
    expect(f64['f64.mul'](0.1, 3)).toBe(0.1 * 3);
    expect(f64['f64.max'](NaN, 1)).toBeNaN();
  });

  it('converts with saturating truncation and reinterprets bits', () => {
    const mb = new ModuleBuilder();
    const t = mb.func('trunc', { params: ['f32'], results: ['i32'] });
    t.code.localGet(t.params[0]).sat('i32.trunc_sat_f32_s');
    const bits = mb.func('bits', { params: ['f32'], results: ['i32'] });
    bits.code.localGet(bits.params[0]).op('i32.reinterpret_f32');
    const ext = mb.func('ext', { params: ['i32'], results: ['i64'] });
    ext.code.localGet(ext.params[0]).op('i32.extend8_s').op('i64.extend_i32_s');
    mb.exportFunc('trunc', t.ref);
    mb.exportFunc('bits', bits.ref);
    mb.exportFunc('ext', ext.ref);
    const ex = instantiate(mb);
    expect([ex.trunc(-2.9), ex.trunc(1e20), ex.trunc(NaN)]).toEqual([-2, 2147483647, 0]);
    expect(ex.bits(1)).toBe(0x3f800000);
    expect(ex.ext(0xff)).toBe(-1n);
  });
});

describe('control flow', () => {
  it('sums with loop/br_if and picks with if/else and br_table', () => {
    const mb = new ModuleBuilder();
    const sum = mb.func('sum', { params: ['i32'], results: ['i32'] });
    const [n] = sum.params;
    const [i, acc] = [sum.local('i32', 'i'), sum.local('i32', 'acc')];
    const c = sum.code;
    c.block(null, (exit) => {
      c.localGet(n).op('i32.eqz').brIf(exit);
      c.loop(null, (top) => {
        c.localGet(acc).localGet(i).op('i32.add').localSet(acc);
        c.localGet(i).i32Const(1).op('i32.add').localTee(i).localGet(n).op('i32.lt_s').brIf(top);
      });
    });
    c.localGet(acc);
    const pick = mb.func('pick', { params: ['i32'], results: ['i32'] });
    pick.code.localGet(pick.params[0]).if('i32', () => void pick.code.i32Const(10), () => void pick.code.i32Const(20));
    const sw = mb.func('sw', { params: ['i32'], results: ['i32'] });
    const s = sw.code;
    s.block(null, (dflt) => {
      s.block(null, (one) => {
        s.block(null, (zero) => void s.localGet(sw.params[0]).brTable([zero, one], dflt));
        s.i32Const(100).op('return');
      });
      s.i32Const(101).op('return');
    });
    s.i32Const(-1);
    for (const f of [sum, pick, sw]) mb.exportFunc(f.name, f.ref);
    const ex = instantiate(mb);
    expect([ex.sum(0), ex.sum(10), ex.sum(1000)]).toEqual([0, 45, 499500]);
    expect([ex.pick(1), ex.pick(0)]).toEqual([10, 20]);
    expect([ex.sw(0), ex.sw(1), ex.sw(7)]).toEqual([100, 101, -1]);
  });

  it('calls functions, selects, and keeps globals', () => {
    const mb = new ModuleBuilder();
    const g = mb.global('i32', true, 5);
    const sq = mb.func('sq', { params: ['f64'], results: ['f64'] });
    sq.code.localGet(sq.params[0]).localGet(sq.params[0]).op('f64.mul');
    const f = mb.func('f', { params: ['f64', 'i32'], results: ['f64'] });
    f.code.localGet(f.params[0]).call(sq.ref).f64Const(-1).localGet(f.params[1]).op('select');
    const bump = mb.func('bump', { params: [], results: ['i32'] });
    bump.code.globalGet(g).i32Const(1).op('i32.add').globalSet(g).globalGet(g);
    mb.exportFunc('f', f.ref);
    mb.exportFunc('bump', bump.ref);
    const ex = instantiate(mb);
    expect([ex.f(3, 1), ex.f(3, 0)]).toEqual([9, -1]);
    expect([ex.bump(), ex.bump()]).toEqual([6, 7]);
  });

  it('rejects branches to labels that are not open', () => {
    const mb = new ModuleBuilder();
    const f = mb.func('f', { params: [], results: [] });
    let stale: Parameters<Parameters<FunctionBuilder['code']['block']>[1]>[0] | null = null;
    f.code.block(null, (l) => void (stale = l));
    expect(() => f.code.br(stale!)).toThrow('not an enclosing block');
  });
});

describe('memory', () => {
  it('loads and stores with offsets, narrow widths, fill/copy and data segments', () => {
    const mb = new ModuleBuilder();
    mb.defineMemory({ initial: 1, maximum: 4 });
    mb.activeData(16, new Uint8Array([1, 2, 3, 4]));
    const seg = mb.passiveData(new Uint8Array([0xff, 0x80]));
    const f = mb.func('f', { params: [], results: ['i32'] });
    const c = f.code;
    c.i32Const(32).i32Const(0).i32Const(2).memoryInit(seg).dataDrop(seg);
    c.i32Const(40).i32Const(7).i32Const(4).memoryFill();
    c.i32Const(48).i32Const(16).i32Const(4).memoryCopy();
    c.i32Const(8).i32Const(-5).mem('i32.store', 56);
    c.i32Const(0).mem('i32.load8_s', 32).i32Const(0).mem('i32.load8_u', 33).op('i32.add');
    c.i32Const(0).mem('i32.load', 48).op('i32.add').i32Const(0).mem('i32.load', 64).op('i32.add');
    const grow = mb.func('grow', { params: [], results: ['i32'] });
    grow.code.i32Const(1).memoryGrow().op('drop').memorySize();
    mb.exportFunc('f', f.ref);
    mb.exportFunc('grow', grow.ref);
    mb.exportMemory('mem');
    const ex = instantiate(mb);
    expect(ex.f()).toBe(-1 + 0x80 + 0x04030201 - 5);
    expect(ex.grow()).toBe(2);
    expect(() => new ModuleBuilder().func('g', { params: [], results: [] }).code.mem('i32.load', 0, 3)).toThrow(WasmEncodeError);
  });
});

describe('SIMD128', () => {
  it('computes float32x4 and int32x4 lanes', () => {
    const mb = new ModuleBuilder();
    const f = mb.func('f', { params: ['f32'], results: ['f32'] });
    const c = f.code;
    const v = f.local('v128');
    c.f32x4Const([1, -2, 9, 4]).localGet(f.params[0]).simd('f32x4.splat').simd('f32x4.mul').localSet(v);
    // lanes: [x, −2x, 9x, 4x] → sqrt(|v|) → reverse lane order → lane 0 = 2·sqrt(x)
    c.localGet(v).simd('f32x4.abs').simd('f32x4.sqrt').localTee(v).localGet(v);
    c.shuffle([12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3]).lane('f32x4.extract_lane', 0);
    const g = mb.func('g', { params: [], results: ['i32'] });
    const d = g.code;
    // mask = [1,5,3,7] > [2,2,2,2] → [0,−1,−1,−1]; bitselect picks 10 where set, 20 elsewhere; sum lanes
    d.i32x4Const([10, 10, 10, 10]).i32x4Const([20, 20, 20, 20]).i32x4Const([1, 5, 3, 7]).i32x4Const([2, 2, 2, 2]).simd('i32x4.gt_s');
    d.simd('v128.bitselect');
    const w = g.local('v128');
    d.localTee(w).lane('i32x4.extract_lane', 0);
    for (let i = 1; i < 4; i++) d.localGet(w).lane('i32x4.extract_lane', i).op('i32.add');
    mb.exportFunc('f', f.ref);
    mb.exportFunc('g', g.ref);
    const ex = instantiate(mb);
    expect(ex.f(16)).toBe(8);
    expect(ex.g()).toBe(50);
  });

  it('loads, stores and replaces lanes in memory', () => {
    const mb = new ModuleBuilder();
    mb.defineMemory({ initial: 1 });
    const f = mb.func('f', { params: [], results: [] });
    f.code.i32Const(0).i32Const(0).simdMem('v128.load', 16).f32Const(5).lane('f32x4.replace_lane', 2).simdMem('v128.store', 32);
    mb.exportFunc('f', f.ref);
    mb.exportMemory('mem');
    const ex = new WebAssembly.Instance(new WebAssembly.Module(mb.finish())).exports;
    const mem = new Float32Array((ex.mem as WebAssembly.Memory).buffer);
    mem.set([1, 2, 3, 4], 4);
    (ex.f as () => void)();
    expect([...mem.subarray(8, 12)]).toEqual([1, 2, 5, 4]);
    expect(() => f.code.lane('f32x4.extract_lane', 4)).toThrow('out of range');
  });

  it('emits relaxed SIMD only when the module opts in', () => {
    const plain = new ModuleBuilder().func('f', { params: [], results: [] });
    expect(() => plain.code.relaxed('f32x4.relaxed_madd')).toThrow('relaxed SIMD is not enabled');
    const mb = new ModuleBuilder({ relaxedSimd: true });
    const f = mb.func('madd', { params: [], results: ['f32'] });
    f.code.f32x4Const([2, 2, 2, 2]).f32x4Const([3, 3, 3, 3]).f32x4Const([1, 1, 1, 1]).relaxed('f32x4.relaxed_madd').lane('f32x4.extract_lane', 0);
    mb.exportFunc('madd', f.ref);
    const b64 = Buffer.from(mb.finish()).toString('base64');
    const script = `const m = new WebAssembly.Module(Buffer.from('${b64}', 'base64')); process.stdout.write(String(new WebAssembly.Instance(m).exports.madd()))`;
    // Node 20 ships relaxed SIMD behind a flag
    const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '-e', script], { encoding: 'utf8' });
    expect(out).toBe('7');
  });
});

describe('atomics and shared memory', () => {
  it('imports a shared memory and runs atomic read-modify-write, wait and notify', () => {
    const mb = new ModuleBuilder();
    mb.importMemory('env', 'memory', { initial: 1, maximum: 1, shared: true });
    const f = mb.func('f', { params: [], results: ['i32'] });
    const c = f.code;
    c.i32Const(0).i32Const(5).atomic('i32.atomic.store', 8);
    c.i32Const(0).i32Const(3).atomic('i32.atomic.rmw.add', 8).op('drop');
    c.i32Const(0).i32Const(8).i32Const(100).atomic('i32.atomic.rmw.cmpxchg', 8).op('drop');
    c.fence();
    const [loaded, waited] = [f.local('i32'), f.local('i32')];
    c.i32Const(0).atomic('i32.atomic.load', 8).localSet(loaded);
    // wait on a value that is not there returns 1 ("not-equal") at once; nobody waits, so notify wakes 0.
    // (Node 20's baseline compiler mishandles stack values around a wait32: it runs on an empty
    // stack and its result goes straight to a local.)
    c.i32Const(0).i32Const(-7).i64Const(0).atomic('memory.atomic.wait32', 8).localSet(waited);
    c.localGet(loaded).localGet(waited).op('i32.add');
    c.i32Const(0).i32Const(1).atomic('memory.atomic.notify', 8).op('i32.add');
    mb.exportFunc('f', f.ref);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const ex = instantiate(mb, { env: { memory } });
    expect(ex.f()).toBe(101);
    expect(new Int32Array(memory.buffer)[2]).toBe(100);
  });
});

describe('module structure', () => {
  it('writes a name section of the generated names only, and rejects others', () => {
    const mb = new ModuleBuilder();
    mb.moduleName('kiln');
    const f = mb.func('kernel0', { params: ['i32'], results: [] });
    f.local('f32', 'acc');
    f.nameParam(0, 'n');
    expect(() => mb.func('bad name', { params: [], results: [] })).toThrow(WasmEncodeError);
    expect(() => f.local('i32', 'x*/`"\n')).toThrow(WasmEncodeError);
    expect(debugNames(mb.finish())).toEqual(['kiln', 'kernel0', 'n', 'acc']);
  });

  it('requires imports before functions and one memory', () => {
    const mb = new ModuleBuilder();
    mb.func('f', { params: [], results: [] });
    expect(() => mb.importFunc('m', 'g', { params: [], results: [] }, 'g')).toThrow('imports must precede');
    mb.defineMemory({ initial: 1 });
    expect(() => mb.importMemory('env', 'memory', { initial: 1 })).toThrow('at most one memory');
    const bad = new ModuleBuilder();
    bad.defineMemory({ initial: 2, maximum: 1 });
    expect(() => bad.finish()).toThrow('below initial');
  });
});
