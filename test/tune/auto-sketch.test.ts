/**
 * @file Sampled automatic schedules: for each kind of fused group the sketch rules distinguish,
 * seeded samples replay, lower through the whole TIR pipeline, and compute what the unscheduled
 * program computes — on js for all of them, on c (AVX-512-sized tiles) for a few. The structure
 * tests pin the rules down: what is inlined, tiled, cached, fused and vectorized.
 */

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { lowerKernel } from '../../src/codegen/build.js';
import type { Step } from '../../src/schedule/index.js';
import { createSchedule, printSteps, replaySchedule } from '../../src/schedule/index.js';
import type { Tensor } from '../../src/te/index.js';
import type { ScheduleTask } from '../../src/tune/auto/index.js';
import { kernelArgs, sampleSchedules, seededRng } from '../../src/tune/auto/index.js';
import { CPU128, CPU512, conv2d, conv3x3, depthwise, elementwise, matmul, maxRelError, runSchedules, softmax, task } from './auto-programs.js';

const HAS_CC = spawnSync('cc', ['--version']).status === 0;

const PROGRAMS: readonly [string, () => Tensor[]][] = [
  ['matmul', () => matmul(24, 40, 16)],
  ['conv2d + bias + relu', () => conv2d(4, 8, 8)],
  ['strided conv2d', () => conv2d(3, 9, 4, 2)],
  ['3×3 conv2d (Winograd applies)', () => conv3x3(3, 10, 4)],
  ['depthwise conv', () => depthwise(8, 10)],
  ['softmax', () => softmax(6, 40)],
  ['element-wise chain', () => elementwise(12, 40)],
];

/** Replays every trace and checks each against the unscheduled program on `target`. */
async function expectCorrect(t: ScheduleTask, traces: readonly Step[][], target: 'js' | 'c'): Promise<void> {
  const { outputs } = t.build();
  const schedules = [createSchedule(outputs), ...traces.map((steps) => replaySchedule(steps, outputs))];
  for (const s of schedules) lowerKernel({ schedule: s, args: kernelArgs(outputs), name: 'check' });
  const [want, ...got] = await runSchedules(schedules, outputs, target);
  got.forEach((results, k) => {
    results.forEach((r, o) => expect(maxRelError(want[o], r), `sample ${k}:\n${printSteps(traces[k])}`).toBeLessThanOrEqual(1e-4));
  });
}

describe.each(PROGRAMS)('sampled schedules of %s', (_, build) => {
  it('replay, lower and match the unscheduled program on js', async () => {
    const t = task(build, CPU128);
    const traces = sampleSchedules(t, 6, seededRng(11));
    expect(traces).toHaveLength(6);
    // sampling is random: not every draw is the same schedule
    expect(new Set(traces.map((s) => printSteps(s))).size).toBeGreaterThan(1);
    await expectCorrect(t, traces, 'js');
  });

  it('are the same for the same seed', () => {
    const t = task(build, CPU512);
    const a = sampleSchedules(t, 3, seededRng(5)).map((s) => printSteps(s));
    const b = sampleSchedules(t, 3, seededRng(5)).map((s) => printSteps(s));
    expect(a).toEqual(b);
  });
});

describe.runIf(HAS_CC)('sampled schedules on c', () => {
  it.each([
    ['matmul', () => matmul(40, 64, 24)],
    ['conv2d + bias + relu', () => conv2d(4, 10, 16)],
    ['3×3 conv2d (Winograd applies)', () => conv3x3(4, 9, 16)],
    ['softmax', () => softmax(5, 70)],
  ] as const)('%s', async (_, build) => {
    const t = task(build, CPU512);
    await expectCorrect(t, sampleSchedules(t, 6, seededRng(3)), 'c');
  });
});

describe('sketch rules', () => {
  const lines = (t: ScheduleTask, seed: number): string[] => printSteps(sampleSchedules(t, 1, seededRng(seed))[0]).split('\n');

  it('tile a matmul: accumulate in a local stage computed in the tiles, vectorized register tile, outer tiles fused', () => {
    for (let seed = 0; seed < 5; seed++) {
      const steps = lines(task(() => matmul(64, 64, 64), CPU512), seed);
      expect(steps[0]).toBe('C: cacheWrite(local) -> C.local');
      expect(steps.some((l) => l.startsWith('C.local: computeAt(C, '))).toBe(true);
      expect(steps.some((l) => l.startsWith('C.local: vectorize('))).toBe(true);
      expect(steps.some((l) => l.startsWith('C: fuse('))).toBe(true);
    }
  });

  it("mostly pack a matmul's B panel inside the loop over its columns, so every row tile reuses it, within half of L2", () => {
    // 512 × 4 bytes per column of B: half of CPU512's L2 holds 256 columns, the widest register tile
    const samples = Array.from({ length: 24 }, (_, seed) => lines(task(() => matmul(64, 1024, 512), CPU512), seed));
    const packing = samples.filter((steps) => steps.includes('B: cacheRead(global, readers=[C.local]) -> B.global'));
    expect(packing.length).toBeGreaterThanOrEqual(6);
    const panelFirst = packing.filter((steps) => steps.some((l) => l.startsWith('C: reorder(j.outer, ')) && steps.some((l) => l.startsWith('B.global: computeAt(C, j.outer')));
    expect(panelFirst.length).toBeGreaterThanOrEqual(packing.length / 2);
    for (const steps of packing) {
      const panel = Number(/^C: split\(j, factor=(\d+)\)/.exec(steps.find((l) => l.startsWith('C: split(j, ')) ?? '')?.[1]);
      expect(panel * 512 * 4).toBeLessThanOrEqual(CPU512.l2Bytes / 2);
    }
  });

  it('often take the register tile that loads least per multiply-add: 4 rows × 4 vectors of a matmul on AVX-512', () => {
    // within 28 accumulators: 4 × 64 loads 4 + 4 times per 16 vector multiply-adds, 8 × 32 8 + 2, 16 × 16 16 + 1
    const samples = Array.from({ length: 30 }, (_, seed) => lines(task(() => matmul(64, 1024, 512), CPU512), seed));
    const tile4x64 = samples.filter((steps) => steps.includes('C.local: split(i, factor=4) -> i.outer, i.inner') && steps.includes('C.local: split(j, factor=64) -> j.outer, j.inner'));
    // random draws alone gave it 7 times in these 30
    expect(tile4x64.length).toBeGreaterThanOrEqual(12);
  });

  it('inline the pad and bias stages and fuse the convolution into its epilogue', () => {
    const steps = lines(task(() => conv2d(4, 8, 8), CPU128), 1);
    expect(steps).toContain('pad: computeInline()');
    expect(steps).toContain('bias_add: computeInline()');
    expect(steps).toContain('conv: cacheWrite(local) -> conv.local');
    expect(steps).toContain('conv: computeInline()');
    expect(steps.some((l) => l.startsWith('conv.local: computeAt(relu, '))).toBe(true);
  });

  it('mostly materialize the padded input at an outer loop of the tiles or once at the root, vectorized', () => {
    const samples = Array.from({ length: 16 }, (_, seed) => lines(task(() => conv2d(4, 8, 8), CPU128), seed));
    const materialized = samples.filter((steps) => steps.some((l) => l.startsWith('pad: computeAt(relu, ')));
    expect(materialized.length).toBeGreaterThanOrEqual(4);
    for (const steps of materialized) expect(steps.some((l) => l.startsWith('pad: vectorize('))).toBe(true);
    // at the root the padding is a parallel nest of its own (rule 4)
    const rooted = samples.filter((steps) => steps.includes('pad: computeRoot()'));
    expect(rooted.length).toBeGreaterThanOrEqual(2);
    for (const steps of rooted) expect(steps.some((l) => l.startsWith('pad: parallel(') || l.startsWith('pad: vectorize('))).toBe(true);
  });

  it('rewrite half the draws of a 3×3 stride-1 convolution as Winograd, at both tile sizes, transforms unrolled', () => {
    const samples = Array.from({ length: 24 }, (_, seed) => lines(task(() => conv3x3(4, 8, 16), CPU512), seed));
    const rewritten = samples.filter((steps) => steps[0].startsWith('conv: winograd('));
    expect(rewritten.length).toBeGreaterThanOrEqual(6);
    expect(rewritten.length).toBeLessThanOrEqual(18);
    for (const m of [2, 4]) expect(rewritten.some((steps) => steps[0].startsWith(`conv: winograd(tile=${m})`))).toBe(true);
    for (const steps of rewritten) {
      // the transforms are materialized with their matrix axes unrolled, their first halves per tile inside them, the output transform inlined
      for (const st of ['conv.wg_u', 'conv.wg_v', 'conv.wg_u1', 'conv.wg_t', 'conv.wg_z']) {
        expect(steps).not.toContain(`${st}: computeInline()`);
        expect(steps.filter((l) => l.startsWith(`${st}: unroll(`)), `${st}\n${steps.join("\n")}`).toHaveLength(2);
      }
      expect(steps.some((l) => l.startsWith('conv.wg_t: computeAt(conv.wg_v, '))).toBe(true);
      expect(steps.some((l) => l.startsWith('conv.wg_u1: computeAt(conv.wg_u, '))).toBe(true);
      expect(steps.some((l) => l.startsWith('conv.wg_z: computeAt(relu, '))).toBe(true);
      expect(steps).toContain('conv: computeInline()');
      // the product is tiled like any reduction with reuse; the output splits rows and columns by the tile
      expect(steps).toContain('conv.wg_m: cacheWrite(local) -> conv.wg_m.local');
      const m = Number(/tile=(\d)/.exec(steps[0])?.[1]);
      expect(steps).toContain(`relu: split(y, factor=${m}) -> y.outer, y.inner`);
      expect(steps).toContain('relu: unroll(x.inner)');
    }
    // the strided convolution is never rewritten
    for (let seed = 0; seed < 8; seed++) expect(lines(task(() => conv2d(3, 9, 4, 2), CPU512), seed).join('\n')).not.toContain('winograd');
  });

  it('accumulate reductions without reuse in local stages; inline element-wise chains', () => {
    const sm = lines(task(() => softmax(6, 40), CPU128), 2);
    expect(sm).toContain('softmax_max: cacheWrite(local) -> softmax_max.local');
    expect(sm).toContain('softmax_sum: cacheWrite(local) -> softmax_sum.local');
    const ew = lines(task(() => elementwise(12, 40), CPU128), 2);
    expect(ew.slice(0, 2)).toEqual(['a: computeInline()', 'b: computeInline()']);
  });
});
