/**
 * @file Helpers the generated JavaScript calls. They are passed to the generated module as one
 * object instead of being written out as source text, so they are typed and tested like any
 * other code. Each one pins down a piece of semantics that C gives and JavaScript does not:
 * integer division (truncating, and 0 when dividing by zero on every target, because a native
 * division by zero would kill the process), float-to-integer conversion (truncation; NaN and
 * out-of-range values give the minimum integer, as x86 does), round half to even, and erf.
 */

import { KernelAssertError } from '../abi.js';

const INT32_MIN = -2147483648;
const INT64_MIN = -9223372036854775808;
const TWO_OVER_SQRT_PI = 1.1283791670955126;

function divI32(a: number, b: number): number {
  return b === 0 ? 0 : (a / b) | 0;
}

function modI32(a: number, b: number): number {
  return b === 0 ? 0 : (a % b) | 0;
}

function floordivI32(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor(a / b) | 0;
}

/** Remainder with the sign of the divisor; used for every integer width (int64 adds `+ 0`). */
function floormodInt(a: number, b: number): number {
  if (b === 0) return 0;
  const r = a % b;
  return (r !== 0 && r < 0 !== b < 0 ? r + b : r) + 0;
}

/** int64 is computed in doubles: exact while values stay within ±2^53. */
function divI64(a: number, b: number): number {
  return b === 0 ? 0 : Math.trunc(a / b) + 0;
}

function modI64(a: number, b: number): number {
  return b === 0 ? 0 : (a % b) + 0;
}

function floordivI64(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor(a / b) + 0;
}

function floormodF(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

function f2i32(x: number): number {
  return x > -2147483649 && x < 2147483648 ? Math.trunc(x) | 0 : INT32_MIN;
}

function f2i64(x: number): number {
  return x >= INT64_MIN && x < -INT64_MIN ? Math.trunc(x) + 0 : INT64_MIN;
}

/** `max(a, b) = a < b ? b : a` and `min(a, b) = b < a ? b : a` on every target (NaN in a wins). */
function max(a: number, b: number): number {
  return a < b ? b : a;
}

function min(a: number, b: number): number {
  return b < a ? b : a;
}

/** Rounds half to even, like C's rint in the default rounding mode. */
export function roundEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** erf to double precision: a positive series below 2, the Laplace continued fraction above. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a === 0 || Number.isNaN(a)) return x;
  let y: number;
  if (a >= 6) {
    y = 1;
  } else if (a < 2) {
    const twoA2 = 2 * a * a;
    let term = a;
    let sum = a;
    for (let n = 1; n < 100 && term > sum * 1e-17; n++) {
      term *= twoA2 / (2 * n + 1);
      sum += term;
    }
    y = TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
  } else {
    let t = a;
    for (let k = 80; k >= 1; k--) t = a + k / 2 / t;
    y = 1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * t);
  }
  return x < 0 ? -y : y;
}

function assertFailed(entry: string, message: string): KernelAssertError {
  return new KernelAssertError(entry, message);
}

/** The helper object handed to generated code; `emit.ts` destructures it by these names. */
export const RUNTIME = {
  fround: Math.fround,
  imul: Math.imul,
  divI32,
  modI32,
  floordivI32,
  floormodInt,
  divI64,
  modI64,
  floordivI64,
  floormodF,
  f2i32,
  f2i64,
  max,
  min,
  roundEven,
  erf,
  assertFailed,
};

export type RuntimeName = keyof typeof RUNTIME;
