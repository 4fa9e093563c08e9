/**
 * @file The convolution templates: each applies to the kernels its strategy schedules, its space
 * contains the strategy's default knobs (whose configuration is exactly the default schedule),
 * and its configurations compute what the unscheduled convolution computes.
 */

import { describe, expect, it } from 'vitest';
import { attrs, ints } from '../../src/graph/attrs.js';
import { makeNode, value } from '../../src/graph/graph.js';
import { tensorType } from '../../src/graph/types.js';
import { computeNode } from '../../src/ops/index.js';
import { defaultSchedule } from '../../src/runtime/schedule.js';
import type { Schedule } from '../../src/schedule/index.js';
import { createSchedule, printSteps } from '../../src/schedule/index.js';
import { convShapeOf, defaultConv2dKnobs } from '../../src/strategy/cpu/conv2d.js';
import type { Tensor } from '../../src/te/index.js';
import { compute, max, placeholder } from '../../src/te/index.js';
import type { TargetInfo } from '../../src/codegen/target.js';
import { kernelArgs, seededRng } from '../../src/tune/auto/index.js';
import { TuneError } from '../../src/tune/errors.js';
import type { TaskCompute } from '../../src/tune/task.js';
import { defaultBlockedConfig } from '../../src/tune/templates/conv2d-nchwc.js';
import { templatesFor } from '../../src/tune/templates/index.js';
import { CPU128, CPU512, conv2d, depthwise, matmul, maxRelError, runSchedules } from './auto-programs.js';

/** relu(Conv2dNCHWc or DepthwiseConv2dNCHWc) over x [1, cb, h, w, lanes], 3×3, pad 1. */
function blocked(cb: number, h: number, mb: number, lanes: number, dw = false): Tensor[] {
  const xs = [1, cb, h, h, lanes];
  const ws = dw ? [cb, 1, 3, 3, lanes] : [mb, cb, 3, 3, lanes, lanes];
  const node = makeNode({
    op: dw ? 'DepthwiseConv2dNCHWc' : 'Conv2dNCHWc',
    domain: 'kiln',
    inputs: [value('x', tensorType('float32', xs)), value('w', tensorType('float32', ws))],
    outputs: [value('y', null)],
    attrs: attrs({ strides: ints([1, 1]), pads: ints([1, 1, 1, 1]), dilations: ints([1, 1]) }),
  });
  const [y] = computeNode(node, 13, [placeholder(xs, 'float32', 'x'), placeholder(ws, 'float32', 'w')], () => null);
  return [compute(y.shape, (...i) => max(y.at(...i), 0), 'relu', { tag: 'elementwise' })];
}

/** `count` random configurations of `space` that `template` accepts for `k`. */
function applicable(k: TaskCompute, found: Found, target: TargetInfo, count: number, seed: number): Schedule[] {
  const rng = seededRng(seed);
  const out: Schedule[] = [];
  for (let tries = 0; out.length < count && tries < 100 * count; tries++) {
    try {
      out.push(found.template.apply(k, found.space.random(rng), target));
    } catch (e) {
      if (!(e instanceof TuneError)) throw e;
    }
  }
  expect(out).toHaveLength(count);
  return out;
}

const kernel = (outputs: Tensor[]): TaskCompute => ({ outputs, args: kernelArgs(outputs) });

type Found = ReturnType<typeof templatesFor>[number];

function only(k: TaskCompute, target: TargetInfo, name: string): Found {
  const found = templatesFor(k, target).filter((t) => t.template.name === name);
  expect(found).toHaveLength(1);
  return found[0];
}

describe('the blocked convolution template', () => {
  it('applies to a blocked conv and its tail, and not to a matmul or an NCHW conv', () => {
    expect(templatesFor(kernel(blocked(2, 8, 2, 16)), CPU512).map((t) => t.template.name)).toContain('conv2d_nchwc');
    expect(templatesFor(kernel(blocked(2, 8, 2, 16, true)), CPU512).map((t) => t.template.name)).toEqual(['conv2d_nchwc']);
    expect(templatesFor(kernel(matmul(32, 32, 32)), CPU512).map((t) => t.template.name)).not.toContain('conv2d_nchwc');
    expect(templatesFor(kernel(conv2d(4, 8, 4)), CPU512).map((t) => t.template.name)).not.toContain('conv2d_nchwc');
  });

  it('holds the default knobs, whose configuration is the default schedule', () => {
    for (const dw of [false, true]) {
      const k = kernel(blocked(8, 20, 4, 16, dw));
      const { template, space } = only(k, CPU512, 'conv2d_nchwc');
      const config = defaultBlockedConfig(k, CPU512);
      if (!config) throw new Error('the template does not apply');
      expect(space.indexOf(config)).toBeGreaterThanOrEqual(0);
      expect(printSteps(template.apply(k, config, CPU512).steps)).toBe(printSteps(defaultSchedule(k.outputs, CPU512).steps));
    }
  });

  it('keeps every register tile within the accumulators and one block wide for depthwise', () => {
    const tiles = (dw: boolean): string[] => only(kernel(blocked(4, 20, 4, 16, dw)), CPU512, 'conv2d_nchwc').space.knobs[0].choices.map(String);
    for (const t of tiles(false)) expect(t.split('x').map(Number).reduce((a, b) => a * b)).toBeLessThanOrEqual(28);
    expect(tiles(false)).toContain('4x5');
    expect(tiles(true).every((t) => t.startsWith('1x'))).toBe(true);
  });

  it('computes what the unscheduled convolution computes, for random configurations', async () => {
    for (const dw of [false, true]) {
      const outputs = blocked(2, 12, 2, 4, dw);
      const k = kernel(outputs);
      const schedules = [createSchedule(outputs), ...applicable(k, only(k, CPU128, 'conv2d_nchwc'), CPU128, 4, dw ? 3 : 4)];
      const [ref, ...rest] = await runSchedules(schedules, outputs, 'js');
      for (const r of rest) expect(maxRelError(ref[0], r[0])).toBeLessThan(1e-5);
    }
  });
});

describe('the Winograd template', () => {
  it('applies to a blocked 3×3 stride-1 conv and its tail, not to a depthwise conv, a matmul or an NCHW conv', () => {
    expect(templatesFor(kernel(blocked(2, 8, 2, 16)), CPU512).map((t) => t.template.name)).toEqual(['conv2d_nchwc', 'winograd']);
    for (const other of [blocked(2, 8, 2, 16, true), matmul(32, 32, 32), conv2d(4, 8, 4)]) expect(templatesFor(kernel(other), CPU512).map((t) => t.template.name)).not.toContain('winograd');
  });

  it('offers both tile sizes with register tiles within the accumulators that divide the row of tiles', () => {
    const choices = only(kernel(blocked(4, 20, 4, 16)), CPU512, 'winograd').space.knobs[0].choices.map(String);
    for (const c of choices) {
      const [m, twb, mbb] = c.split('x').map(Number);
      expect(twb * mbb).toBeLessThanOrEqual(28);
      expect(Math.ceil(20 / m) % twb).toBe(0);
    }
    expect(choices).toContain('2x10x2');
    expect(choices).toContain('4x5x4');
  });

  it('computes what the unscheduled convolution computes, for random configurations', async () => {
    const outputs = blocked(2, 12, 2, 4);
    const k = kernel(outputs);
    const schedules = [createSchedule(outputs), ...applicable(k, only(k, CPU128, 'winograd'), CPU128, 4, 5)];
    const [ref, ...rest] = await runSchedules(schedules, outputs, 'js');
    for (const r of rest) expect(maxRelError(ref[0], r[0])).toBeLessThan(1e-4);
  });
});

describe('the NCHW convolution template', () => {
  it('holds the default knobs, whose configuration is the default schedule', () => {
    const k = kernel(conv2d(8, 14, 16));
    const { template, space } = only(k, CPU512, 'conv2d');
    const st = createSchedule(k.outputs).stages.find((s) => s.tensor.op.kind === 'compute' && s.tensor.op.tag === 'conv2d');
    if (!st) throw new Error('no conv stage');
    const d = defaultConv2dKnobs(CPU512, convShapeOf(st.tensor));
    const config = { tile: `${d.mb}x${d.ohb}x${d.flatRows ? 'flat' : d.owb / d.lanes}`, lanes: d.lanes, bandTiles: d.taskRows / d.ohb, unrollKernel: d.unrollKernel };
    expect(space.indexOf(config)).toBeGreaterThanOrEqual(0);
    expect(printSteps(template.apply(k, config, CPU512).steps)).toBe(printSteps(defaultSchedule(k.outputs, CPU512).steps));
  });

  it('computes what the unscheduled convolution computes, for random configurations', async () => {
    for (const outputs of [conv2d(3, 10, 4), depthwise(4, 10)]) {
      const k = kernel(outputs);
      const schedules = [createSchedule(outputs), ...applicable(k, only(k, CPU128, 'conv2d'), CPU128, 4, 5)];
      const [ref, ...rest] = await runSchedules(schedules, outputs, 'js');
      for (const r of rest) expect(maxRelError(ref[0], r[0])).toBeLessThan(1e-5);
    }
  });
});
