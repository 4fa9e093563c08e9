/**
 * @file graph.decomposeConvTranspose: the phase geometry, the channel padding rule, the emitted
 * ops, and numbers equal to the ConvTranspose's own over random attribute combinations.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Attr } from '../../../src/graph/attrs.js';
import { attrs, int, ints, string } from '../../../src/graph/attrs.js';
import type { Graph } from '../../../src/graph/graph.js';
import { foldConstants } from '../../../src/passes/graph/index.js';
import { decomposeConvTranspose, phaseChannels, phaseDim } from '../../../src/passes/graph/decomposeConvTranspose.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { allClose, builder, ctx, f32, ramp, typed } from './helpers.js';
import { runGraph } from './interpret.js';

/** Blocks of 4 float32 lanes, as on WebAssembly. */
const simd128 = makePassContext({}, undefined, { vectorBits: 128 });

interface Case {
  readonly spatial: readonly number[];
  readonly cin: number;
  readonly mg: number;
  readonly group: number;
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** explicit pads, or an auto_pad policy, or an output_shape offset from the natural extent */
  readonly pads: { kind: 'pads'; value: readonly number[] } | { kind: 'auto'; value: string } | { kind: 'shape'; value: readonly number[] };
  readonly outputPadding: readonly number[];
  readonly bias: boolean;
  /** weights as a constant (an initializer) or a graph input */
  readonly constantWeights: boolean;
}

function convTranspose(c: Case): Graph {
  const b = builder();
  const x = b.input('x', f32([1, c.cin * c.group, ...c.spatial]));
  const wShape = [c.cin * c.group, c.mg, ...c.kernel];
  const w = c.constantWeights ? b.initializer('w', ramp(wShape, 0.1, 0.05)) : b.input('w', f32(wShape));
  const bias = c.bias ? b.initializer('b', ramp([c.mg * c.group], 0.2, 0.3)) : null;
  const a: Record<string, Attr> = {
    kernel_shape: ints(c.kernel),
    strides: ints(c.strides),
    dilations: ints(c.dilations),
    group: int(c.group),
    output_padding: ints(c.outputPadding),
  };
  if (c.pads.kind === 'pads') a.pads = ints(c.pads.value);
  if (c.pads.kind === 'auto') a.auto_pad = string(c.pads.value);
  if (c.pads.kind === 'shape') {
    const offsets = c.pads.value;
    a.output_shape = ints(c.spatial.map((n, i) => c.strides[i] * (n - 1) + c.outputPadding[i] + (c.kernel[i] - 1) * c.dilations[i] + 1 + offsets[i]));
  }
  const y = b.node('ConvTranspose', bias ? [x, w, bias] : [x, w], { attrs: attrs(a) }).outputs[0];
  return typed(b.build([y]));
}

const ops = (g: Graph): string[] => g.nodes.map((n) => n.op);

async function expectSame(g: Graph, out: Graph): Promise<void> {
  const feeds = g.inputs.map((v, k) => ramp(v.type!.shape as number[], 0.13, k * 0.2));
  const [want, got] = [await runGraph(g, feeds), await runGraph(out, feeds)];
  expect(allClose(got[0], want[0])).toBe(true);
}

const base: Case = {
  spatial: [5, 6],
  cin: 3,
  mg: 2,
  group: 1,
  kernel: [2, 2],
  strides: [2, 2],
  dilations: [1, 1],
  pads: { kind: 'pads', value: [0, 0, 0, 0] },
  outputPadding: [0, 0],
  bias: true,
  constantWeights: true,
};

describe('phaseDim', () => {
  it('gives each output phase ⌈span / s⌉ taps and crops what the Conv computes beyond the output', () => {
    // Rule: k = s, no pads (PaddleOCR's upsampling): one tap, no pads, no crop.
    expect(phaseDim(160, 2, 2, 0, 320)).toEqual({ s: 2, taps: 1, pads: [0, 0], extent: 160, crop: 0 });
    // k = 3, s = 2, pad 1: two taps per phase (the odd phase's second one zero); the Conv starts
    // at q = 0 (pad 1 before), the output at full index 1
    expect(phaseDim(4, 2, 3, 1, 7)).toEqual({ s: 2, taps: 2, pads: [1, 0], extent: 4, crop: 1 });
    // an output larger than the natural extent (negative end pad): the Conv runs past the input
    expect(phaseDim(3, 2, 2, 0, 8)).toEqual({ s: 2, taps: 1, pads: [0, 1], extent: 4, crop: 0 });
    // a begin pad beyond the kernel's reach: the Conv still starts at q0 = taps − 1, cropped after
    expect(phaseDim(6, 1, 3, 4, 2)).toEqual({ s: 1, taps: 3, pads: [0, 0], extent: 4, crop: 2 });
  });
});

describe('phaseChannels', () => {
  it('rounds a group-1 phase up to whole vectors when that costs at most half again', () => {
    expect(phaseChannels(24, 1, 16)).toBe(32);
    expect(phaseChannels(24, 1, 4)).toBe(24);
    expect(phaseChannels(1, 1, 16)).toBe(1);
    expect(phaseChannels(10, 1, 16)).toBe(10);
    // grouped convolutions are not blocked: no padding
    expect(phaseChannels(6, 2, 4)).toBe(6);
    expect(phaseChannels(24, 1, null)).toBe(24);
  });
});

describe('graph.decomposeConvTranspose', () => {
  it('turns a k = s upsampling into a 1×1 Conv over the phases and an interleave', async () => {
    // Rule: [C, M, 2, 2] weights become [4·M, C, 1, 1] (phases outer); the interleave is
    // Reshape → Transpose → Reshape and writes the ConvTranspose's own output value.
    const g = convTranspose(base);
    const out = foldConstants.run(decomposeConvTranspose.run(g, ctx), ctx);
    expect(ops(out)).toEqual(['Conv', 'Reshape', 'Transpose', 'Reshape']);
    const conv = out.nodes[0];
    expect(conv.inputs[1]?.type?.shape).toEqual([8, 3, 1, 1]);
    expect(out.outputs[0]).toBe(g.outputs[0]);
    await expectSame(g, out);
  });

  it('pads each phase to whole vectors of the target and slices the padding off', async () => {
    // Rule: 6 channels per phase become 8 for 4-lane blocks; the interleave drops channels 6, 7.
    const g = convTranspose({ ...base, mg: 6 });
    const out = foldConstants.run(decomposeConvTranspose.run(g, simd128), ctx);
    expect(ops(out)).toEqual(['Conv', 'Reshape', 'Slice', 'Transpose', 'Reshape']);
    expect(out.nodes[0].inputs[1]?.type?.shape).toEqual([32, 3, 1, 1]);
    await expectSame(g, out);
  });

  it('keeps a ConvTranspose whose input shape is unknown', () => {
    const b = builder();
    const x = b.input('x', f32([1, 3, 'h', 'w']));
    const w = b.initializer('w', ramp([3, 2, 2, 2]));
    const y = b.node('ConvTranspose', [x, w], { attrs: attrs({ strides: ints([2, 2]) }) }).outputs[0];
    const g = typed(b.build([y]));
    expect(decomposeConvTranspose.run(g, ctx)).toBe(g);
  });

  it('computes what the ConvTranspose computes, for any window, group and padding policy', async () => {
    // Rule: every attribute combination (k not a multiple of s, dilation, output_padding,
    // SAME pads, output_shape larger or smaller than the natural extent, groups, 1-d to 3-d,
    // weights constant or not, blocked or not) gives the reference's numbers.
    const dim = fc.record({
      n: fc.integer({ min: 1, max: 4 }),
      k: fc.integer({ min: 1, max: 4 }),
      s: fc.integer({ min: 1, max: 3 }),
      d: fc.integer({ min: 1, max: 2 }),
      padBegin: fc.integer({ min: 0, max: 2 }),
      padEnd: fc.integer({ min: 0, max: 2 }),
      outPad: fc.integer({ min: 0, max: 2 }),
      offset: fc.integer({ min: -1, max: 2 }),
    });
    const arb = fc.record({
      dims: fc.array(dim, { minLength: 1, maxLength: 3 }),
      cin: fc.integer({ min: 1, max: 3 }),
      mg: fc.integer({ min: 1, max: 5 }),
      group: fc.integer({ min: 1, max: 2 }),
      policy: fc.constantFrom('pads', 'SAME_UPPER', 'SAME_LOWER', 'VALID', 'shape'),
      bias: fc.boolean(),
      constantWeights: fc.boolean(),
      blocked: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(arb, async (r) => {
        const dims = r.dims.map((d) => ({ ...d, outPad: d.outPad % Math.max(d.s, d.d) }));
        const pads: Case['pads'] =
          r.policy === 'pads'
            ? { kind: 'pads', value: [...dims.map((d) => d.padBegin), ...dims.map((d) => d.padEnd)] }
            : r.policy === 'shape'
              ? { kind: 'shape', value: dims.map((d) => d.offset) }
              : { kind: 'auto', value: r.policy };
        const c: Case = {
          spatial: dims.map((d) => d.n),
          cin: r.cin,
          mg: r.mg,
          group: r.group,
          kernel: dims.map((d) => d.k),
          strides: dims.map((d) => d.s),
          dilations: dims.map((d) => d.d),
          pads,
          outputPadding: dims.map((d) => d.outPad),
          bias: r.bias,
          constantWeights: r.constantWeights,
        };
        const natural = dims.map((d) => d.s * (d.n - 1) + d.outPad + (d.k - 1) * d.d + 1);
        const extents = natural.map((e, i) => (r.policy === 'pads' ? e - dims[i].padBegin - dims[i].padEnd : r.policy === 'shape' ? e + dims[i].offset : e));
        fc.pre(extents.every((e) => e > 0));
        const g = convTranspose(c);
        const out = decomposeConvTranspose.run(g, r.blocked ? simd128 : ctx);
        expect(ops(out)).not.toContain('ConvTranspose');
        await expectSame(g, out);
      }),
      { numRuns: 60, seed: 5 },
    );
  }, 120_000);
});
