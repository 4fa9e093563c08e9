/**
 * @file Randomness for schedule search: the generator type the tuner passes around (a function
 * returning numbers in [0, 1), like Math.random) and a small seeded one, so that tests and
 * benchmarks sample the same schedules on every run.
 *
 *   const rng = seededRng(42);
 *   pick(rng, [1, 2, 4]);    // the same element on every run with seed 42
 */

/** Uniform numbers in [0, 1). */
export type Rng = () => number;

/** mulberry32: 32 bits of state, good enough to drive sampling, and reproducible from `seed`. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** An integer in [lo, hi]. */
export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.min(hi - lo, Math.floor(rng() * (hi - lo + 1)));
}

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  if (xs.length === 0) throw new Error('pick: empty list');
  return xs[randInt(rng, 0, xs.length - 1)];
}

/** The positive divisors of `n`, ascending. */
export function divisors(n: number): number[] {
  const small: number[] = [];
  const large: number[] = [];
  for (let d = 1; d * d <= n; d++) {
    if (n % d !== 0) continue;
    small.push(d);
    if (d * d !== n) large.unshift(n / d);
  }
  return [...small, ...large];
}
