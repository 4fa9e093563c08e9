/**
 * @file Math kernels with no wasm instruction, written once over the MathEmitter DSL: range
 * reduction plus a polynomial, no tables, no branches (both sides of a select are computed, which
 * is what SIMD needs anyway).
 *
 * float32 kernels (exp, log, tanh, sigmoid, erf) run in float32 arithmetic without fused
 * multiply-add. Against the correctly rounded result, over dense grids and random points of the
 * whole float32 line (test/codegen/wasm/math.test.ts): exp ≤ 1.2 ulp, log ≤ 1 ulp,
 * tanh ≤ 1.1 ulp, sigmoid ≤ 1.8 ulp, erf ≤ 1.3 ulp.
 * sin, cos and pow need more precision in the reduction than float32 has, so their float32
 * versions run the float64 kernels below and round once (≤ 0.5 ulp + one float64 rounding);
 * sin and cos are accurate for |x| < 8e8 (three-part Cody–Waite reduction), not beyond.
 *
 * Coefficients of tanh and erf were fitted by weighted least squares (Lawson iterations toward
 * minimax) in float64 on Chebyshev nodes, then rounded to float32 one at a time, refitting the
 * rest after each rounding. exp, log, sin and cos use Taylor coefficients.
 */

import type { MathEmitter, Num } from './emitter.js';

/** Float-format constants each kernel needs, per flavor's element type. */
interface Format {
  readonly mantBits: number;
  readonly bias: number;
  readonly minNormal: number;
  /** bit pattern of sqrt(1/2) */
  readonly sqrtHalfBits: number | bigint;
  readonly mantMask: number | bigint;
  /** ln 2 split so that n·ln2Hi is exact for every exponent n the kernel sees */
  readonly ln2Hi: number;
  readonly ln2Lo: number;
  /** exp(x) is 0 below / ∞ above these (after the clamp) */
  readonly expMin: number;
  readonly expMax: number;
  /** Taylor coefficients 1/k! of e^r on |r| ≤ ln2/2 */
  readonly expCoeffs: readonly number[];
  /** 2/(2k+1), k ≥ 1: log(1+f) = f − (f²/2 − s·(f²/2 + z·R(z))), s = f/(2+f), z = s² */
  readonly logCoeffs: readonly number[];
}

const inverseFactorials = (n: number): number[] => {
  const out = [1];
  for (let k = 1; k <= n; k++) out.push(out[k - 1] / k);
  return out;
};
const atanhSeries = (n: number): number[] => Array.from({ length: n }, (_, k) => 2 / (2 * k + 3));

const F32_FORMAT: Format = {
  mantBits: 23, bias: 127, minNormal: 2 ** -126, sqrtHalfBits: 0x3f3504f3, mantMask: 0x7fffff,
  ln2Hi: 0.693145751953125, ln2Lo: 1.428606765330187e-6,
  expMin: -104, expMax: 89,
  expCoeffs: inverseFactorials(7).map(Math.fround),
  logCoeffs: atanhSeries(4).map(Math.fround),
};

/** Used inside float32 sin/cos/pow only; aims at ~1e-15 relative error, not float64 ulps. */
const F64_FORMAT: Format = {
  mantBits: 52, bias: 1023, minNormal: 2 ** -1022, sqrtHalfBits: 0x3fe6a09e667f3bcdn, mantMask: 0xfffffffffffffn,
  ln2Hi: 0.69314718036912382, ln2Lo: 1.9082149292705877e-10,
  expMin: -745.2, expMax: 709.8,
  expCoeffs: inverseFactorials(12),
  logCoeffs: atanhSeries(9),
};

function format(m: MathEmitter): Format {
  return m.flavor === 'f64' ? F64_FORMAT : F32_FORMAT;
}

/** 2^n for an integer-valued n, as two factors so that subnormal and overflowing results stay exact. */
function scaleByPow2(m: MathEmitter, p: Num, n: Num): Num {
  const fmt = format(m);
  const ni = m.toInt(n);
  const n1 = m.ishr(ni, 1);
  const n2 = m.isub(ni, n1);
  const pow2 = (k: typeof ni): Num => m.fromBits(m.ishl(m.iadd(k, m.ik(fmt.bias)), fmt.mantBits));
  return m.mul(m.mul(p, pow2(n1)), pow2(n2));
}

/** e^x: x = n·ln2 + r, |r| ≤ ln2/2; e^x = 2^n · P(r). */
export function exp(m: MathEmitter, x: Num): Num {
  const fmt = format(m);
  const xc = m.min(m.max(x, m.k(fmt.expMin)), m.k(fmt.expMax));
  const n = m.nearest(m.mul(xc, m.k(Math.LOG2E)));
  const r = m.sub(m.sub(xc, m.mul(n, m.k(fmt.ln2Hi))), m.mul(n, m.k(fmt.ln2Lo)));
  return scaleByPow2(m, m.poly(r, fmt.expCoeffs), n);
}

/** ln x: x = 2^e · (1+f) with 1+f in [√½, √2); the small terms carry the rounding error. */
export function log(m: MathEmitter, x: Num): Num {
  const fmt = format(m);
  const tiny = m.cmp('lt', x, m.k(fmt.minNormal));
  const xs = m.select(tiny, m.mul(x, m.k(2 ** fmt.mantBits)), x);
  const ix = m.isub(m.bits(xs), m.ik(fmt.sqrtHalfBits));
  const e = m.add(m.fromInt(m.ishr(ix, fmt.mantBits)), m.select(tiny, m.k(-fmt.mantBits), m.k(0)));
  const mant = m.fromBits(m.iadd(m.iand(ix, m.ik(fmt.mantMask)), m.ik(fmt.sqrtHalfBits)));
  const f = m.sub(mant, m.k(1));
  const s = m.div(f, m.add(m.k(2), f));
  const z = m.mul(s, s);
  const rz = m.mul(z, m.poly(z, fmt.logCoeffs));
  const hfsq = m.mul(m.k(0.5), m.mul(f, f));
  const lm = m.sub(f, m.sub(hfsq, m.mul(s, m.add(hfsq, rz))));
  const res = m.add(m.mul(e, m.k(fmt.ln2Hi)), m.add(m.mul(e, m.k(fmt.ln2Lo)), lm));
  const atZero = m.select(m.cmp('eq', x, m.k(0)), m.k(-Infinity), res);
  const atInf = m.select(m.cmp('eq', x, m.k(Infinity)), m.k(Infinity), atZero);
  return m.select(m.not(m.cmp('ge', x, m.k(0))), m.k(NaN), atInf);
}

const TANH_SMALL = 0.75;
/** tanh x = x + x³·P(x²) on [0, 0.75] */
const TANH_P = [
  -0.3333333134651184, 0.1333324909210205, -0.053956061601638794, 0.021784771233797073, -0.008541855029761791,
  0.0028946762904524803, -0.0005928159225732088,
];

/** tanh: a polynomial near 0, else 1 − 2/(e^{2|x|} + 1) with the sign of x. */
export function tanh(m: MathEmitter, x: Num): Num {
  const ax = m.abs(x);
  const u = m.mul(x, x);
  const small = m.add(x, m.mul(m.mul(x, u), m.poly(u, TANH_P)));
  const e = exp(m, m.mul(m.k(2), m.min(ax, m.k(10))));
  const big = m.sub(m.k(1), m.div(m.k(2), m.add(e, m.k(1))));
  return m.copysign(m.select(m.cmp('lt', ax, m.k(TANH_SMALL)), small, big), x);
}

/** 1/(1+e^−x), with e = e^−|x| ≤ 1; for x < 0 it is e − e²/(1+e), which keeps 1+e's rounding small. */
export function sigmoid(m: MathEmitter, x: Num): Num {
  const e = exp(m, m.neg(m.abs(x)));
  const d = m.add(m.k(1), e);
  const pos = m.div(m.k(1), d);
  const neg = m.sub(e, m.div(m.mul(e, e), d));
  return m.select(m.cmp('ge', x, m.k(0)), pos, neg);
}

const ERF_SMALL = 0.9;
/** erf x = x + x·K(x²) on [0, 0.9] (K = erf(x)/x − 1 keeps 2/√π's rounding out of the result) */
const ERF_K = [
  0.12837915122509003, -0.37612512707710266, 0.11282042413949966, -0.026775460690259933, 0.005006907042115927,
  -0.000606417132075876,
];
const ERF_CENTER = 2.4;
const ERF_TOP = 4;
/** erfc x · e^{x²} = G(x − 2.4) on [0.9, 4]; erf rounds to 1 in float32 beyond 3.92 */
const ERF_G = [
  0.21850040555000305, -0.07957574725151062, 0.02747504785656929, -0.009228544309735298, 0.002624174114316702,
  -0.000842483714222908, 0.0006399035919457674, 0.00027986097848042846, 0.00013706061872653663,
];

/** erf: a polynomial near 0, else 1 − e^{−x²}·G(x) with the sign of x. */
export function erf(m: MathEmitter, x: Num): Num {
  const ax = m.abs(x);
  const small = m.add(x, m.mul(x, m.poly(m.mul(x, x), ERF_K)));
  const xl = m.min(ax, m.k(ERF_TOP));
  const e = exp(m, m.neg(m.mul(xl, xl)));
  const big = m.sub(m.k(1), m.mul(e, m.poly(m.sub(xl, m.k(ERF_CENTER)), ERF_G)));
  return m.select(m.cmp('lt', ax, m.k(ERF_SMALL)), small, m.copysign(big, x));
}

/** π/2 in three parts (24, 24 and 53 bits): k·P1 and k·P2 are exact for |k| < 2^29. */
const PIO2 = [1.5707962512969971, 7.5497894158615964e-8, 5.390302858158119e-15] as const;
const SIN_COEFFS = [1, -1 / 6, 1 / 120, -1 / 5040, 1 / 362880, -1 / 39916800, 1 / 6227020800];
const COS_COEFFS = [1, -1 / 2, 1 / 24, -1 / 720, 1 / 40320, -1 / 3628800, 1 / 479001600, -1 / 87178291200];

/** sin x (shift 0) or cos x (shift 1): x = k·π/2 + r, |r| ≤ π/4, then the quadrant picks ±sin r or ±cos r. */
export function sinCos(m: MathEmitter, x: Num, shift: 0 | 1): Num {
  const k = m.nearest(m.mul(x, m.k(2 / Math.PI)));
  let r = m.sub(x, m.mul(k, m.k(PIO2[0])));
  r = m.sub(r, m.mul(k, m.k(PIO2[1])));
  r = m.sub(r, m.mul(k, m.k(PIO2[2])));
  // no reduction near 0 keeps sin(−0) = −0
  r = m.select(m.cmp('eq', k, m.k(0)), x, r);
  const z = m.mul(r, r);
  const s = m.mul(r, m.poly(z, SIN_COEFFS));
  const c = m.poly(z, COS_COEFFS);
  const q = m.iadd(m.toInt(k), m.ik(shift));
  const v = m.select(m.nonzero(m.iand(q, m.ik(1))), c, s);
  return m.select(m.nonzero(m.iand(q, m.ik(2))), m.neg(v), v);
}

/**
 * x^y with C semantics (float64 flavor only): e^{y·ln|x|}, then the sign and the special cases of IEEE pow
 * (pow(x, ±0) = 1, pow(1, y) = 1, pow(−1, ±∞) = 1, negative x with a non-integer y is NaN).
 */
export function pow(m: MathEmitter, x: Num, y: Num): Num {
  const mag = exp(m, m.mul(y, log(m, m.abs(x))));
  const yInt = m.cmp('eq', m.floor(y), y);
  const half = m.mul(y, m.k(0.5));
  const yOdd = m.and(yInt, m.cmp('ne', m.floor(half), half));
  const negative = m.nonzero(m.iand(m.bits(x), m.ik(-(2n ** 63n))));
  const signed = m.select(m.and(negative, yOdd), m.neg(mag), mag);
  const finiteNeg = m.and(m.cmp('lt', x, m.k(0)), m.cmp('gt', x, m.k(-Infinity)));
  const yFinite = m.cmp('lt', m.abs(y), m.k(Infinity));
  const domainError = m.and(m.and(finiteNeg, yFinite), m.not(yInt));
  const withNaN = m.select(domainError, m.k(NaN), signed);
  const one = m.or(m.or(m.cmp('eq', y, m.k(0)), m.cmp('eq', x, m.k(1))), m.and(m.cmp('eq', x, m.k(-1)), m.not(yFinite)));
  return m.select(one, m.k(1), withNaN);
}

/**
 * x^y for y = 1/4, 1/2 or 3/4 from square roots (√x · √√x for 3/4: within 2.5 ulp), for LRN's β
 * (usually 3/4), where the general pow runs a log and an exp per lane in float64. IEEE pow's
 * special cases hold: + 0 turns √−0 = −0 into pow's +0, and −∞, whose roots are NaN, gives +∞.
 */
export function rootPow(m: MathEmitter, x: Num, y: number): Num {
  const half = m.sqrt(x);
  const root = y === 0.5 ? half : y === 0.25 ? m.sqrt(half) : m.mul(half, m.sqrt(half));
  return m.select(m.cmp('eq', x, m.k(-Infinity)), m.k(Infinity), m.add(root, m.k(0)));
}
