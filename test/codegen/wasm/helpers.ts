/**
 * @file Test helpers for the wasm backend: running hand-built PrimFuncs, reading the name
 * section back, and measuring float32 errors in units in the last place.
 */

import { expect } from 'vitest';
import type { HostArray } from '../../../src/codegen/target.js';
import { wasmBackend } from '../../../src/codegen/wasm/index.js';
import type { PrimFunc } from '../../../src/tir/stmt.js';

/** Emits (checking the module validates), loads, runs `f` once on `args` (updated in place) and disposes. */
export async function runFunc(f: PrimFunc, args: readonly HostArray[], threads = 1): Promise<void> {
  const artifact = wasmBackend.emit([f], { threads });
  expect(WebAssembly.validate(artifact.code as Uint8Array)).toBe(true);
  const exe = await wasmBackend.load(artifact, { threads });
  try {
    exe.run(f.name, args);
  } finally {
    exe.dispose();
  }
}

function readU32(bytes: Uint8Array, at: { pos: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at.pos++];
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
  }
}

function readName(bytes: Uint8Array, at: { pos: number }): string {
  const n = readU32(bytes, at);
  const s = new TextDecoder().decode(bytes.subarray(at.pos, at.pos + n));
  at.pos += n;
  return s;
}

/** Every name in a module's "name" section (module, function and local names). */
export function debugNames(code: Uint8Array): string[] {
  const mod = new WebAssembly.Module(code);
  const [section] = WebAssembly.Module.customSections(mod, 'name');
  if (!section) return [];
  const bytes = new Uint8Array(section);
  const at = { pos: 0 };
  const names: string[] = [];
  while (at.pos < bytes.length) {
    const id = bytes[at.pos++];
    const end = readU32(bytes, at) + at.pos;
    if (id === 0) names.push(readName(bytes, at));
    const indexedNames = (): void => {
      for (let n = readU32(bytes, at); n > 0; n--) {
        readU32(bytes, at);
        names.push(readName(bytes, at));
      }
    };
    if (id === 1) indexedNames();
    if (id === 2) {
      for (let f = readU32(bytes, at); f > 0; f--) {
        readU32(bytes, at);
        indexedNames();
      }
    }
    at.pos = end;
  }
  return names;
}

/** |got − ref| in float32 ulps of the reference (subnormal ulp below 2^−126); NaN must match NaN. */
export function ulpError(got: number, ref: number): number {
  if (Number.isNaN(ref) || Number.isNaN(got)) return Number.isNaN(ref) && Number.isNaN(got) ? 0 : Infinity;
  if (got === ref) return 0;
  const a = Math.abs(Math.fround(ref));
  if (a === Infinity) return Math.fround(ref) === got ? 0 : Infinity;
  if (a < 2 ** -126) return Math.abs(got - ref) / 2 ** -149;
  const e = Math.floor(Math.log2(a));
  const ulp = 2 ** (e - 23) / (2 ** e > a ? 2 : 1);
  return Math.abs(got - ref) / ulp;
}

/**
 * erf in float64 to ~1e-15: the everywhere-positive series below 2 and the continued fraction of
 * erfc (to depth 2000) above, both with x² split exactly so that e^{−x²} is accurate.
 */
export function erfReference(x: number): number {
  const ax = Math.abs(x);
  if (Number.isNaN(x) || ax >= 6) return Number.isNaN(x) ? NaN : Math.sign(x);
  const c = ax * 134217729;
  const hi = c - (c - ax);
  const lo = ax - hi;
  const gauss = Math.exp(-hi * hi) * (1 - (2 * hi * lo + lo * lo));
  if (ax >= 2) {
    let f = ax;
    for (let k = 2000; k >= 1; k--) f = ax + k / 2 / f;
    return Math.sign(x) * (1 - gauss / (Math.sqrt(Math.PI) * f));
  }
  const t = 2 * ax * ax;
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 1000 && term > sum * 1e-18; n++) {
    term *= t / (2 * n + 1);
    sum += term;
  }
  return (Math.sign(x) * 2 * ax * gauss * sum) / Math.sqrt(Math.PI);
}

/** `n` float32 values spread evenly over [lo, hi] plus its ends. */
export function grid(lo: number, hi: number, n: number): Float32Array {
  return Float32Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
}

/** How many f32x4.relaxed_madd and relaxed_nmadd a module holds (0xFD prefix, LEB128 opcodes 0x105 and 0x106). */
export function countRelaxedMadd(code: Uint8Array): number {
  let n = 0;
  for (let k = 0; k + 2 < code.length; k++) if (code[k] === 0xfd && (code[k + 1] === 0x85 || code[k + 1] === 0x86) && code[k + 2] === 0x02) n++;
  return n;
}
