/** @file Seeded uniform random data for benchmark inputs and weights: the same numbers every run. */

/** `n` floats uniform in [lo, hi), from xorshift32 seeded with `seed`. */
export function uniform(n: number, seed: number, lo = -0.5, hi = 0.5): Float32Array {
  let x = seed >>> 0 || 0x9e3779b9;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = lo + ((x >>> 0) / 2 ** 32) * (hi - lo);
  }
  return out;
}
