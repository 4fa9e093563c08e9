/**
 * @file Numeric checks for lowering. Execution itself is the shared TIR reference interpreter
 * (test/passes/tir/interp.ts: scalar and vector, multi-dimensional indices with bounds checks,
 * allocations filled with NaN so a read of a never-written element shows up in the result); this
 * file adds what lowering tests need on top: run a lowered function on seeded random inputs and
 * compare a scheduled lowering against the unscheduled one.
 */

import { expect } from 'vitest';
import type { PrimFunc } from '../../src/tir/stmt.js';
import { randomArgs, runFunc, spanOf } from '../passes/tir/interp.js';

/** Runs `f` on seeded random contents of its params and returns them afterwards. */
export function runOnRandom(f: PrimFunc, seed: number): Float64Array[] {
  const args = randomArgs(f, seed);
  runFunc(f, args);
  return args;
}

/** Largest |a - b| / max(1, |a|) over all elements (Infinity for NaN or a length mismatch). */
export function maxRelError(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let k = 0; k < a.length; k++) {
    const err = Math.abs(a[k] - b[k]) / Math.max(1, Math.abs(a[k]));
    worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}

/**
 * Expects `scheduled` to compute what `reference` computes: same params (names, element counts,
 * order; a flattened buffer matches its multi-dimensional original), same contents afterwards up
 * to float reassociation (`tol`), on the same random inputs.
 */
export function expectSameResults(reference: PrimFunc, scheduled: PrimFunc, seed = 7, tol = 1e-5): void {
  const sig = (f: PrimFunc): string[] => f.params.map((p) => `${p.name}:${spanOf(p)}`);
  expect(sig(scheduled)).toEqual(sig(reference));
  const want = runOnRandom(reference, seed);
  const got = runOnRandom(scheduled, seed);
  want.forEach((w, k) => {
    const err = maxRelError(w, got[k]);
    expect(err, `param ${reference.params[k].name}`).toBeLessThanOrEqual(tol);
  });
}
