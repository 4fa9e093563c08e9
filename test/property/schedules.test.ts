/**
 * The operator compiler's central property: random tensor programs under random legal schedules
 * compute, on every target (js, c, wasm with and without threads), what the unscheduled program computes on the reference `js` target.
 * Float reductions may be reassociated by a schedule (rfactor, split reduce axes, FMA contraction
 * in C), so results must agree within |Δ| ≤ 1e-5·max|ref| + 1e-6 — float32 rounding of the small
 * sums here is orders of magnitude below that, while any wrong index or missing element is not.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildKernels, type KernelSpec } from '../../src/codegen/build.js';
import type { TargetName } from '../../src/codegen/index.js';
import { createSchedule } from '../../src/schedule/index.js';
import { printSchedule } from '../../src/schedule/index.js';
import { LowerError, lower } from '../../src/lower/index.js';
import { HAS_CC } from '../codegen/harness.js';
import { randomProgram, rng, type Program } from './programs.js';
import { randomSchedule } from './scheduler.js';

interface Case {
  readonly seed: number;
  readonly program: Program;
  readonly scheduled: KernelSpec;
  readonly plain: KernelSpec;
  readonly steps: string;
}

/**
 * A random case, or null when lowering refuses the schedule with its typed error: some conditions
 * (an attach point that a later step made unreachable for a reader) are only decidable once the
 * whole schedule is known, so they are checked by `lower`, not by the primitive.
 */
function makeCase(seed: number, index: number): Case | null {
  const r = rng(seed);
  const program = randomProgram(r);
  const args = [...program.inputs, program.output];
  const s = createSchedule([program.output]);
  randomSchedule(s, program.output, r, r.int(1, 8));
  try {
    lower(s, args, 'probe');
  } catch (e) {
    if (e instanceof LowerError) return null;
    throw e;
  }
  return {
    seed,
    program,
    scheduled: { schedule: s, args, name: `scheduled${index}` },
    plain: { schedule: createSchedule([program.output]), args, name: `plain${index}` },
    steps: printSchedule(s),
  };
}

function inputsFor(p: Program, seed: number): Float32Array[] {
  const r = rng(seed ^ 0x5eed);
  return p.inputs.map((t) => Float32Array.from({ length: t.shape.reduce((a, b) => a * b, 1) }, () => r.next() * 2 - 1));
}

function outputSize(p: Program): number {
  return p.output.shape.reduce((a, b) => a * b, 1);
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const tol = 1e-5 * scale + 1e-6;
  for (let q = 0; q < expected.length; q++) {
    if (!(Math.abs(actual[q] - expected[q]) <= tol)) {
      expect.fail(`${what}: element ${q} is ${actual[q]}, expected ${expected[q]} (tolerance ${tol})`);
    }
  }
}

/** Builds every case's scheduled and plain kernel on `target` (one artifact) and compares. */
async function checkCases(cases: readonly Case[], target: TargetName, threads = 2): Promise<void> {
  const reference = await buildKernels(cases.map((c) => c.plain), { target: 'js' });
  const built = await buildKernels(cases.map((c) => c.scheduled), { target, threads });
  try {
    for (const c of cases) {
      const ins = inputsFor(c.program, c.seed);
      const want = new Float32Array(outputSize(c.program));
      const got = new Float32Array(outputSize(c.program)).fill(Number.NaN);
      reference.run([...ins, want], c.plain.name);
      built.run([...ins, got], c.scheduled.name);
      expectClose(got, want, `seed ${c.seed} (${c.program.name}) on ${target}, schedule:\n${c.steps}\n`);
    }
  } finally {
    reference.dispose();
    built.dispose();
  }
}

describe('random programs under random schedules', () => {
  it('js matches the unscheduled program', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const c = makeCase(seed, 0);
        fc.pre(c !== null);
        await checkCases([c], 'js');
      }),
      { numRuns: 150 },
    );
  });

  it.skipIf(!HAS_CC)('c matches the unscheduled program', async () => {
    // One C library for the whole batch: a compiler run per case would dominate the test time.
    const seeds = fc.sample(fc.integer({ min: 1, max: 2 ** 31 - 1 }), { numRuns: 40, seed: 20261127 });
    const cases = seeds.map(makeCase).filter((c): c is Case => c !== null);
    expect(cases.length).toBeGreaterThan(seeds.length * 0.8);
    await checkCases(cases, 'c');
  });

  it.each([1, 2])('wasm with %i thread(s) matches the unscheduled program', async (threads) => {
    const seeds = fc.sample(fc.integer({ min: 1, max: 2 ** 31 - 1 }), { numRuns: 40, seed: 20261128 + threads });
    const cases = seeds.map(makeCase).filter((c): c is Case => c !== null);
    expect(cases.length).toBeGreaterThan(seeds.length * 0.8);
    await checkCases(cases, 'wasm', threads);
  });
});
