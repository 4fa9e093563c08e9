/**
 * Small pieces with exact answers: the target registry, TargetInfo of both CPU targets, sysfs and
 * cpuinfo parsing, C literals (floats that read back exactly, the int32 minimum, octal-escaped
 * strings), and the JS runtime's erf / round-half-even / float→int rules at their edges.
 */

import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { getBackend, isTargetName } from '../../src/codegen/index.js';
import { parseCacheSize, vectorBitsFromCpuinfo } from '../../src/codegen/c/host.js';
import { cFloatLiteral, cIntLiteral, cStringLiteral } from '../../src/codegen/c/types.js';
import { RUNTIME, erf, roundEven } from '../../src/codegen/js/runtime.js';

describe('target registry', () => {
  it('returns one backend per name and refuses unknown names', () => {
    expect(getBackend('js').name).toBe('js');
    expect(getBackend('c')).toBe(getBackend('c'));
    expect(isTargetName('c')).toBe(true);
    expect(getBackend('wasm').name).toBe('wasm');
    expect(isTargetName('toString')).toBe(false);
    expect(() => getBackend('cobol' as 'js')).toThrow("unknown target 'cobol' (known: js, c, wasm)");
  });

  it('describes the CPU targets', () => {
    expect(getBackend('js').info).toMatchObject({ name: 'js', vectorBits: 128, cores: 1, threads: false, sharedMemory: false });
    const c = getBackend('c').info;
    expect(c).toMatchObject({ name: 'c', cores: availableParallelism(), threads: true, sharedMemory: false });
    expect([128, 256, 512]).toContain(c.vectorBits);
    expect(c.l1Bytes).toBeGreaterThan(0);
    expect(c.l2Bytes).toBeGreaterThan(c.l1Bytes);
  });
});

describe('host parsing', () => {
  it('reads sysfs cache sizes', () => {
    expect(parseCacheSize('48K')).toBe(48 * 1024);
    expect(parseCacheSize('2048K\n')).toBe(2 * 1024 * 1024);
    expect(parseCacheSize('32M')).toBe(32 * 1024 * 1024);
    expect(parseCacheSize('lots')).toBeNull();
  });

  it('picks the vector width from cpu flags', () => {
    expect(vectorBitsFromCpuinfo('model name\t: x\nflags\t\t: fpu sse2 avx2 avx512f avx512bw\n')).toBe(512);
    expect(vectorBitsFromCpuinfo('flags\t: fpu sse2 avx avx2\n')).toBe(256);
    expect(vectorBitsFromCpuinfo('Features\t: fp asimd\n')).toBe(128);
  });
});

describe('C literals', () => {
  it('prints floats that read back exactly', () => {
    expect(cFloatLiteral(0.1, 'float32')).toBe('0.10000000149011612f');
    expect(cFloatLiteral(2, 'float32')).toBe('2.0f');
    expect(cFloatLiteral(1e300, 'float64')).toBe('1e+300');
    expect(cFloatLiteral(-1.5, 'float64')).toBe('(-1.5)');
    expect(cFloatLiteral(-0, 'float32')).toBe('(-0.0f)');
    expect(cFloatLiteral(NaN, 'float64')).toBe('__builtin_nan("")');
    expect(cFloatLiteral(-Infinity, 'float32')).toBe('(-__builtin_inff())');
  });

  it('prints integers of every width', () => {
    expect(cIntLiteral(-2147483648, 'int32')).toBe('(-2147483647 - 1)');
    expect(cIntLiteral(-5, 'int8')).toBe('(-5)');
    expect(cIntLiteral(2 ** 40, 'int64')).toBe('INT64_C(1099511627776)');
    expect(cIntLiteral(7, 'bool')).toBe('1');
  });

  it('escapes everything but letters and digits as octal', () => {
    expect(cStringLiteral('a"b\n*/ ü1')).toBe('"a\\042b\\012\\052\\057\\040\\303\\2741"');
  });
});

describe('JS runtime', () => {
  it('computes erf to double precision with its symmetries', () => {
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 15);
    expect(erf(2)).toBeCloseTo(0.9953222650189527, 15);
    expect(erf(4)).toBeCloseTo(0.9999999845827421, 15);
    expect(erf(-1)).toBe(-erf(1));
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(30)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
  });

  it('rounds half to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999999999999996, 4503599627370497].map(roundEven)).toEqual([0, 2, 2, -0, -2, -2, 2, 4503599627370497]);
  });

  it('converts floats to integers like x86: truncation, minimum value when out of range', () => {
    expect([1.9, -1.9, -2147483648.9, 2147483647.9, 2147483648, NaN, -Infinity].map(RUNTIME.f2i32)).toEqual([1, -1, -2147483648, 2147483647, -2147483648, -2147483648, -2147483648]);
    expect([2 ** 60 + 0.5, -(2 ** 63), 2 ** 63, NaN].map(RUNTIME.f2i64)).toEqual([2 ** 60, -(2 ** 63), -(2 ** 63), -(2 ** 63)]);
  });

  it('divides integers with C truncation, floor variants, and 0 for division by zero', () => {
    expect(RUNTIME.divI32(-2147483648, -1)).toBe(-2147483648);
    expect(RUNTIME.modI32(-7, 2)).toBe(-1);
    expect(RUNTIME.floordivI32(-7, 2)).toBe(-4);
    expect(RUNTIME.floormodInt(-7, 2)).toBe(1);
    expect(RUNTIME.floormodInt(7, -2)).toBe(-1);
    expect([RUNTIME.divI32(5, 0), RUNTIME.modI64(5, 0), RUNTIME.floordivI64(5, 0), RUNTIME.floormodInt(5, 0)]).toEqual([0, 0, 0, 0]);
  });
});
