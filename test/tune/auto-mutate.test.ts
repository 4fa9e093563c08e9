/**
 * @file Trace mutation: every mutated trace replays on a fresh compute, lowers through the TIR
 * pipeline, differs from its parent, and still computes what the unscheduled program computes.
 */

import { describe, expect, it } from 'vitest';
import { lowerKernel } from '../../src/codegen/build.js';
import type { Step } from '../../src/schedule/index.js';
import { createSchedule, printSteps, replaySchedule } from '../../src/schedule/index.js';
import type { Tensor } from '../../src/te/index.js';
import { add, compute, placeholder } from '../../src/te/index.js';
import { kernelArgs, mutateSchedule, sampleSchedules, seededRng } from '../../src/tune/auto/index.js';
import { CPU128, CPU512, conv2d, conv3x3, matmul, maxRelError, runSchedules, softmax, task } from './auto-programs.js';

const PROGRAMS: readonly [string, () => Tensor[]][] = [
  ['matmul', () => matmul(24, 40, 16)],
  ['conv2d + bias + relu', () => conv2d(4, 8, 8)],
  ['softmax', () => softmax(6, 40)],
  ['3×3 conv2d (Winograd applies)', () => conv3x3(3, 8, 4)],
];

describe.each(PROGRAMS)('mutations of %s', (_, build) => {
  it('replay, lower, change the trace and keep the results', async () => {
    const t = task(build, CPU128);
    const rng = seededRng(21);
    const children: Step[][] = [];
    let parents = sampleSchedules(t, 2, rng);
    // three generations: mutations of mutations stay replayable
    for (let gen = 0; gen < 3; gen++) {
      const next: Step[][] = [];
      for (const p of parents) {
        const child = mutateSchedule(t, p, rng);
        if (!child) continue;
        expect(printSteps(child)).not.toBe(printSteps(p));
        next.push(child);
      }
      children.push(...next);
      parents = next;
    }
    expect(children.length).toBeGreaterThanOrEqual(4);
    const { outputs } = t.build();
    const schedules = [createSchedule(outputs), ...children.map((c) => replaySchedule(c, outputs))];
    for (const s of schedules) lowerKernel({ schedule: s, args: kernelArgs(outputs), name: 'check' });
    const [want, ...got] = await runSchedules(schedules, outputs, 'js');
    got.forEach((results, k) => results.forEach((r, o) => expect(maxRelError(want[o], r), printSteps(children[k])).toBeLessThanOrEqual(1e-4)));
  });
});

describe('mutation', () => {
  it('changes one decision: the parallel granularity renames the fused loop in later steps', () => {
    const t = task(() => matmul(64, 64, 64), CPU128);
    const rng = seededRng(4);
    const parent = sampleSchedules(t, 1, rng)[0];
    const fusedBefore = parent.find((s) => s.prim === 'fuse');
    let seen = false;
    for (let n = 0; n < 40 && !seen; n++) {
      const child = mutateSchedule(t, parent, rng);
      const fusedAfter = child?.find((s) => s.prim === 'fuse');
      if (!child || !fusedBefore || !fusedAfter || fusedAfter.results[0] === fusedBefore.results[0]) continue;
      seen = true;
      // the trace keeps its length and names the new loop wherever it named the old one
      expect(child).toHaveLength(parent.length);
      expect(printSteps(child)).not.toContain(` ${fusedBefore.results[0]})`);
    }
    expect(seen).toBe(true);
  });

  it("changes a register tile in the accumulator and its anchor together, at times", () => {
    const t = task(() => matmul(64, 64, 64), CPU128);
    const rng = seededRng(7);
    const parent = sampleSchedules(t, 1, rng)[0];
    const factor = (steps: readonly Step[], line: string): number | undefined => {
      const s = steps.find((x) => printSteps([x]).startsWith(line));
      return s?.prim === 'split' ? s.args.value : undefined;
    };
    // the accumulator's row tile (C.local: split(i, …)) and the anchor's split of the same factor
    const rows = factor(parent, 'C.local: split(i, ');
    const anchorLine = parent.map((x) => printSteps([x])).find((l) => l.startsWith('C: split(') && l.includes(`factor=${rows})`));
    expect(rows).toBeDefined();
    expect(anchorLine).toBeDefined();
    const anchorPrefix = anchorLine?.slice(0, anchorLine.indexOf('factor=')) ?? '';
    let together = false;
    for (let n = 0; n < 200 && !together; n++) {
      const child = mutateSchedule(t, parent, rng);
      if (!child) continue;
      const grown = factor(child, 'C.local: split(i, ');
      together = grown !== rows && grown === factor(child, anchorPrefix);
    }
    expect(together).toBe(true);
  });

  it("keeps the splits and unrolls of the stages that compute a Winograd transform", () => {
    const t = task(() => conv3x3(4, 8, 16), CPU512);
    const rng = seededRng(9);
    const parents = Array.from({ length: 40 }, (_, seed) => sampleSchedules(t, 1, seededRng(seed))[0]).filter((p) => p[0].prim === 'winograd');
    expect(parents.length).toBeGreaterThanOrEqual(10);
    // the stages whose unrolled copies fold the transforms' matrix rows
    const pinned = (steps: readonly Step[]): string[] =>
      steps.filter((s) => (s.prim === 'unroll' || s.prim === 'split') && (/\.wg_(u1|u|t|v|z)$/.test(s.stage) || s.stage === 'relu')).map((s) => JSON.stringify(s));
    let changed = 0;
    for (const p of parents) {
      const child = mutateSchedule(t, p, rng);
      if (!child) continue;
      changed++;
      expect(pinned(child)).toEqual(pinned(p));
    }
    expect(changed).toBeGreaterThanOrEqual(10);
  });

  it('returns null when nothing can change: no splits, fuses or compute locations, no loop to unroll', () => {
    const t = task(() => {
      const A = placeholder([1], 'float32', 'A');
      return [compute([1], (i) => add(A.at(i), 1), 'B')];
    }, CPU128);
    expect(mutateSchedule(t, [], seededRng(1))).toBeNull();
  });
});
