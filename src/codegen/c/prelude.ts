/**
 * @file The fixed head of every generated C file: includes, the export macro, and scalar helpers
 * whose semantics C leaves undefined or different from kiln's (see ../js/runtime.ts for the same
 * rules in JavaScript):
 *   - integer div/mod truncate; dividing by 0 gives 0 (x86 would kill the process), and
 *     MIN / -1 wraps (built with -fwrapv, so negation wraps);
 *   - floordiv/floormod round toward negative infinity; floormod has the divisor's sign
 *     (the `p` variants assume a positive divisor, used when it is a constant);
 *   - min(a, b) = b < a ? b : a and max(a, b) = a < b ? b : a, one instruction on x86;
 *   - rsqrt and sigmoid are written out so JavaScript can round at the same steps;
 *   - float32 exp is kiln's own (kiln_exp_f32, below), which GCC vectorizes.
 * The text is the same for every kernel, so it never changes a cache key by itself.
 */

import type { DType } from '../../ir/dtype.js';
import { SUFFIX, scalarType } from './types.js';

const INTS: readonly DType[] = ['int8', 'uint8', 'int32', 'int64'];
const FLOATS: readonly ('float32' | 'float64')[] = ['float32', 'float64'];

function intHelpers(t: DType): string[] {
  const T = scalarType(t);
  const s = SUFFIX[t];
  const fn = (name: string, body: string): string => `static inline ${T} kiln_${name}_${s}(${T} a, ${T} b) { ${body} }`;
  if (t === 'uint8') {
    // unsigned: truncation and flooring agree, and nothing overflows
    return [
      fn('div', 'return b == 0 ? 0 : (uint8_t)(a / b);'),
      fn('mod', 'return b == 0 ? 0 : (uint8_t)(a % b);'),
      fn('floordiv', 'return b == 0 ? 0 : (uint8_t)(a / b);'),
      fn('floormod', 'return b == 0 ? 0 : (uint8_t)(a % b);'),
      'static inline uint8_t kiln_abs_u8(uint8_t a) { return a; }',
    ];
  }
  const flip = `(r != 0 && ((r < 0) != (b < 0)))`;
  return [
    fn('div', `if (b == 0) return 0; if (b == -1) return (${T})(-a); return (${T})(a / b);`),
    fn('mod', `if (b == 0 || b == -1) return 0; return (${T})(a % b);`),
    fn('floordiv', `if (b == 0) return 0; if (b == -1) return (${T})(-a); ${T} q = (${T})(a / b), r = (${T})(a % b); return ${flip} ? (${T})(q - 1) : q;`),
    fn('floormod', `if (b == 0 || b == -1) return 0; ${T} r = (${T})(a % b); return ${flip} ? (${T})(r + b) : r;`),
    `static inline ${T} kiln_abs_${s}(${T} a) { return a < 0 ? (${T})(-a) : a; }`,
    // divisor known to be positive (a constant): no guards, one correction step
    fn('floordivp', `${T} q = (${T})(a / b), r = (${T})(a % b); return (${T})(q - (r < 0));`),
    fn('floormodp', `${T} r = (${T})(a % b); return r < 0 ? (${T})(r + b) : r;`),
  ];
}

function floatHelpers(t: 'float32' | 'float64'): string[] {
  const T = scalarType(t);
  const s = SUFFIX[t];
  const m = t === 'float32' ? 'f' : '';
  const one = t === 'float32' ? '1.0f' : '1.0';
  return [
    `static inline ${T} kiln_floordiv_${s}(${T} a, ${T} b) { return floor${m}(a / b); }`,
    `static inline ${T} kiln_floormod_${s}(${T} a, ${T} b) { ${T} r = fmod${m}(a, b); return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r; }`,
    `static inline ${T} kiln_rsqrt_${s}(${T} x) { return ${one} / sqrt${m}(x); }`,
    `static inline ${T} kiln_sigmoid_${s}(${T} x) { return ${one} / (${one} + ${t === 'float32' ? 'kiln_exp_f32' : 'exp'}(-x)); }`,
  ];
}

/**
 * e^x in float32 with no branch, table or call, so that GCC vectorizes a loop calling it (also
 * under -fno-tree-loop-if-convert): glibc's vector expf falls back to scalar calls for lanes with
 * |x| > ~88, which is most of a segmentation map's logits. x is clamped to [-104, 89] (e^x rounds
 * to 0 below and overflows above) by integer masks — float ternaries would need if-conversion, and
 * fminf/fmaxf lose NaN, which passes the masks unchanged. x = n·ln2 + r with |r| ≤ ln2/2, where
 * n = round(x·log2e) is read from the low mantissa bits of x·log2e + 1.5·2^23; e^r is its Taylor
 * polynomial of degree 7; 2^n is applied as two exact factors so subnormal results round once.
 * Every float32 input, against exp in float64: ≤ 0.94 ulp with -ffp-contract=fast, ≤ 1.23 ulp off
 * (sigmoid, 1/(1 + e^−x): ≤ 2.49 ulp where e^−x is finite; 0 below x = −88.72, as in JavaScript).
 */
const EXP_F32 = [
  'static inline int32_t kiln_bits_f32(float x) { int32_t i; memcpy(&i, &x, 4); return i; }',
  'static inline float kiln_from_bits_f32(int32_t i) { float x; memcpy(&x, &i, 4); return x; }',
  'static inline float kiln_exp_f32(float x) {',
  '  const int32_t lo = -(int32_t)(x < -104.0f), hi = -(int32_t)(x > 89.0f);',
  '  const float xc = kiln_from_bits_f32((kiln_bits_f32(x) & ~(lo | hi)) | (kiln_bits_f32(-104.0f) & lo) | (kiln_bits_f32(89.0f) & hi));',
  '  const float t = xc * 1.44269504f + 12582912.0f;',
  '  const float n = t - 12582912.0f;',
  '  const int32_t ni = kiln_bits_f32(t) - kiln_bits_f32(12582912.0f);',
  // ln2 in two parts; the first has 15 significant bits, so n times it is exact for |n| ≤ 150
  '  const float r = (xc - n * 0.693145751953125f) - n * 1.428606765330187e-6f;',
  '  const float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.66666672e-1f + r * (4.16666679e-2f + r * (8.33333377e-3f + r * (1.38888892e-3f + r * 1.98412701e-4f))))));',
  '  const int32_t n1 = ni >> 1, n2 = ni - n1;',
  '  return p * kiln_from_bits_f32((n1 + 127) << 23) * kiln_from_bits_f32((n2 + 127) << 23);',
  '}',
];

function minMax(t: DType): string[] {
  const T = scalarType(t);
  const s = SUFFIX[t];
  return [
    `static inline ${T} kiln_min_${s}(${T} a, ${T} b) { return b < a ? b : a; }`,
    `static inline ${T} kiln_max_${s}(${T} a, ${T} b) { return a < b ? b : a; }`,
  ];
}

export const C_PRELUDE = [
  '/* Generated by kiln. Kernel ABI: int32_t kiln_entry_<name>(void *const *args, int32_t nthreads)',
  ' * returns 0, or 1 + the index of the failed assert in the manifest\'s messages. */',
  '#include <math.h>',
  '#include <stdint.h>',
  '#include <stdlib.h>',
  '#include <string.h>',
  '#define KILN_EXPORT __attribute__((visibility("default")))',
  // the thread pool (pool.ts), in a library of its own that every kernel library links
  'typedef int32_t (*kiln_task)(void *ctx, int64_t lo, int64_t hi);',
  'extern int32_t kiln_parallel(kiln_task fn, void *ctx, int64_t begin, int64_t end, int32_t nthreads) __attribute__((visibility("default")));',
  '',
  ...INTS.flatMap(intHelpers),
  ...EXP_F32,
  ...FLOATS.flatMap(floatHelpers),
  ...[...FLOATS, ...INTS].flatMap(minMax),
  '',
].join('\n');
