/**
 * @file The lowered forms the search reads features from and builds: `sampleLowered` and
 * `mutateLowered` hand out each trace with exactly the function replaying and lowering that
 * trace gives, so lowering once per proposal changes nothing downstream.
 */

import { describe, expect, it } from 'vitest';
import { printFunc } from '../../src/tir/print.js';
import { mutateLowered, sampleLowered, sampleSchedules, seededRng, tryLower } from '../../src/tune/auto/index.js';
import { CPU512, conv2d, depthwise, matmul, task } from './auto-programs.js';

describe.each([
  ['matmul', () => matmul(24, 40, 16)],
  ['conv2d + bias + relu', () => conv2d(4, 8, 8)],
  ['depthwise conv', () => depthwise(8, 10)],
] as const)('lowered candidates of %s', (_, build) => {
  const t = task(build, CPU512);
  const relowered = (steps: Parameters<typeof tryLower>[1]): string => {
    const func = tryLower(t, steps);
    if (!func) throw new Error('a handed-out trace does not lower again');
    return printFunc(func);
  };

  it('sampleLowered: the traces of sampleSchedules, each with the function it lowers to', () => {
    const lowered = sampleLowered(t, 4, seededRng(9));
    expect(lowered.map((c) => c.steps)).toEqual(sampleSchedules(t, 4, seededRng(9)));
    for (const c of lowered) expect(printFunc(c.func)).toBe(relowered(c.steps));
  });

  it('mutateLowered: a child with the function it lowers to', () => {
    const rng = seededRng(3);
    const [parent] = sampleLowered(t, 1, rng);
    let children = 0;
    for (let n = 0; n < 6; n++) {
      const child = mutateLowered(t, parent.steps, rng);
      if (!child) continue;
      children++;
      expect(printFunc(child.func)).toBe(relowered(child.steps));
    }
    expect(children).toBeGreaterThan(0);
  });
});
