import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attrs, int, ints, string } from '../../../src/graph/attrs.js';
import type { GraphBuilder } from '../../../src/graph/builder.js';
import type { Graph, Value } from '../../../src/graph/graph.js';
import { tensorOf } from '../../../src/graph/tensor.js';
import { convertLayout, eliminateDeadCode, foldConstants } from '../../../src/passes/graph/index.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { allClose, body, builder, ctx, f32, lines, ramp, typed } from './helpers.js';
import { runGraph } from './interpret.js';

/** A context for a target with 128-bit vectors: blocks of 4 float32 lanes. */
const simd128 = makePassContext({}, undefined, { vectorBits: 128 });

const converted = (g: Graph): Graph => convertLayout.run(g, simd128);
/** What the pipeline makes of it: the pass, then the weights' reorders folded. */
const folded = (g: Graph): Graph => eliminateDeadCode.run(foldConstants.run(converted(g), ctx), ctx);
const ops = (g: Graph): string[] => g.nodes.map((n) => (n.domain === '' ? n.op : `${n.domain}::${n.op}`));

function graphOf(shape: readonly number[], f: (b: GraphBuilder, x: Value) => Value[]): Graph {
  const b = builder();
  const x = b.input('x', f32(shape));
  return typed(b.build(f(b, x)));
}

function conv(b: GraphBuilder, x: Value, cin: number, cout: number, opts: { k?: number; group?: number; stride?: number; dilation?: number; pad?: number; bias?: boolean; seed?: number } = {}): Value {
  const k = opts.k ?? 3;
  const group = opts.group ?? 1;
  const w = b.initializer('w', ramp([cout, cin / group, k, k], 0.05, (opts.seed ?? 0) * 0.1));
  const bias = opts.bias === false ? null : b.initializer('b', ramp([cout], 0.1, 0.3));
  const pad = opts.pad ?? (k >> 1) * (opts.dilation ?? 1);
  const a = attrs({ kernel_shape: ints([k, k]), pads: ints([pad, pad, pad, pad]), strides: ints([opts.stride ?? 1, opts.stride ?? 1]), dilations: ints([opts.dilation ?? 1, opts.dilation ?? 1]), group: int(group) });
  return b.node('Conv', bias ? [x, w, bias] : [x, w], { attrs: a }).outputs[0];
}

async function expectSameResults(g: Graph, out: Graph): Promise<void> {
  const feeds = g.inputs.map((v, k) => ramp(v.type!.shape as number[], 0.13, k * 0.2));
  const [want, got] = [await runGraph(g, feeds), await runGraph(out, feeds)];
  want.forEach((w, k) => expect(allClose(got[k], w), `output ${k}`).toBe(true));
}

describe('graph.convertLayout', () => {
  it('blocks a conv chain with reorders only at its edges, weights as ToBlocked of constants', () => {
    // Rule: Conv → blocked conv; Relu follows its blocked input; the graph output reads the
    // value through one FromBlocked. The RGB-like input (3 < 4 lanes) is one block of 3.
    const g = graphOf([1, 3, 5, 5], (b, x) => [b.node('Relu', [conv(b, conv(b, x, 3, 6), 6, 4, { k: 1 })]).outputs[0]]);
    expect(body(converted(g))).toBe(
      lines(
        '%x_0: float32[1, 3, 5, 5] = input',
        '%w_1: float32[6, 3, 3, 3] = const {…}',
        '%b_2: float32[6] = const {-0.7, 5.551115e-17, -0.4, 0.3, -0.1, -0.5}',
        '%w_3: float32[4, 6, 1, 1] = const {…}',
        '%b_4: float32[4] = const {-0.7, 5.551115e-17, -0.4, 0.3}',
        '%5: float32[1, 1, 5, 5, 3] = kiln::ToBlocked(%x_0) {axis=1, block=3}',
        '%6: float32[6, 1, 3, 3, 3] = kiln::ToBlocked(%w_1) {axis=1, block=3}',
        '%7: float32[2, 1, 3, 3, 3, 4] = kiln::ToBlocked(%6) {axis=0, block=4}',
        '%8: float32[2, 4] = kiln::ToBlocked(%b_2) {axis=0, block=4}',
        '%9: float32[1, 2, 5, 5, 4] = kiln::Conv2dNCHWc(%5, %7, %8) {dilations=[1, 1], pads=[1, 1, 1, 1], strides=[1, 1]}',
        '%10: float32[4, 2, 1, 1, 4] = kiln::ToBlocked(%w_3) {axis=1, block=4}',
        '%11: float32[1, 2, 1, 1, 4, 4] = kiln::ToBlocked(%10) {axis=0, block=4}',
        '%12: float32[1, 4] = kiln::ToBlocked(%b_4) {axis=0, block=4}',
        '%13: float32[1, 1, 5, 5, 4] = kiln::Conv2dNCHWc(%9, %11, %12) {dilations=[1, 1], pads=[0, 0, 0, 0], strides=[1, 1]}',
        '%14: float32[1, 1, 5, 5, 4] = Relu(%13)',
        '%15: float32[1, 4, 5, 5] = kiln::FromBlocked(%14) {axis=1, channels=4}',
        'return %15',
      ),
    );
  });

  it('leaves the weights blocked as constants once folded', () => {
    // Rule: every ToBlocked over a constant folds; only the data reorders stay nodes.
    const g = graphOf([1, 8, 6, 6], (b, x) => [conv(b, x, 8, 8)]);
    expect(ops(folded(g))).toEqual(['kiln::ToBlocked', 'kiln::Conv2dNCHWc', 'kiln::FromBlocked']);
    return expectSameResults(g, folded(g));
  });

  it('does nothing without a target, or without a convolution', () => {
    // Rule: the block size comes from the target; no target, no layout change.
    const g = graphOf([1, 4, 4, 4], (b, x) => [conv(b, x, 4, 4)]);
    expect(convertLayout.run(g, ctx)).toBe(g);
    const h = graphOf([1, 4, 4, 4], (b, x) => [b.node('Relu', [x]).outputs[0]]);
    expect(converted(h)).toBe(h);
  });

  it('keeps a Div by a value computed at run time in NCHW, and pads a constant divisor with 1', async () => {
    // Rule: padded lanes must stay finite; x / y with y blocked could divide 0 by 0.
    const g = graphOf([1, 6, 4, 4], (b, x) => {
      const c = conv(b, x, 6, 6);
      const byConst = b.node('Div', [c, b.initializer('d', ramp([1, 6, 1, 1], 0.5, 2))]).outputs[0];
      const y = b.node('Sigmoid', [byConst]).outputs[0];
      return [b.node('Div', [byConst, y]).outputs[0]];
    });
    const out = folded(g);
    expect(ops(out)).toEqual(['kiln::ToBlocked', 'kiln::Conv2dNCHWc', 'Div', 'Sigmoid', 'kiln::FromBlocked', 'kiln::FromBlocked', 'Div']);
    const divisor = out.initializers.find((i) => i.tensor.shape.join() === '1,2,1,1,4')!;
    expect([...divisor.tensor.data].slice(6)).toEqual([1, 1]);
    await expectSameResults(g, out);
  });

  it('carries SE blocks, depthwise convs, channel concats and nearest resizes', async () => {
    // Rule: GlobalAveragePool, Mul by a broadcast [1, C, 1, 1] value, Concat of whole blocks and
    // nearest Resize with unit N, C scales all stay blocked.
    const g = graphOf([1, 8, 6, 6], (b, x) => {
      const d = conv(b, conv(b, x, 8, 8, { k: 1 }), 8, 8, { group: 8, stride: 2 });
      const pooled = b.node('GlobalAveragePool', [d]).outputs[0];
      const se = b.node('HardSigmoid', [conv(b, pooled, 8, 8, { k: 1 })]).outputs[0];
      const scaled = b.node('Mul', [d, se]).outputs[0];
      const cat = b.node('Concat', [scaled, d], { attrs: attrs({ axis: int(1) }) }).outputs[0];
      const scales = b.initializer('s', tensorOf('float32', [4], [1, 1, 2, 2]));
      const roi = b.initializer('roi', tensorOf('float32', [0], []));
      const up = b.node('Resize', [cat, roi, scales], { attrs: attrs({ mode: string('nearest'), coordinate_transformation_mode: string('asymmetric'), nearest_mode: string('floor') }) }).outputs[0];
      return [conv(b, up, 16, 5)];
    });
    const out = folded(g);
    expect(ops(out)).toEqual([
      'kiln::ToBlocked',
      'kiln::Conv2dNCHWc',
      'kiln::DepthwiseConv2dNCHWc',
      'kiln::GlobalAveragePoolNCHWc',
      'kiln::Conv2dNCHWc',
      'HardSigmoid',
      'Mul',
      'Concat',
      'Resize',
      'kiln::Conv2dNCHWc',
      'kiln::FromBlocked',
    ]);
    await expectSameResults(g, out);
  });

  it('concatenates channel counts that do not fill whole blocks lane by lane', async () => {
    // Rule: Concat of 6 + 5 channels in blocks of 4 is ConcatNCHWc; its padded lanes are 0.
    const g = graphOf([1, 6, 5, 5], (b, x) => {
      const c = conv(b, x, 6, 6);
      const cat = b.node('Concat', [c, conv(b, c, 6, 5, { k: 1 }), x], { attrs: attrs({ axis: int(1) }) }).outputs[0];
      return [conv(b, cat, 17, 3)];
    });
    const out = folded(g);
    expect(ops(out)).toEqual(['kiln::ToBlocked', 'kiln::Conv2dNCHWc', 'kiln::Conv2dNCHWc', 'kiln::ConcatNCHWc', 'kiln::Conv2dNCHWc', 'kiln::FromBlocked']);
    const cat = out.nodes.find((n) => n.op === 'ConcatNCHWc')!;
    expect(cat.outputs[0].type?.shape).toEqual([1, 5, 5, 5, 4]);
    await expectSameResults(g, out);
  });

  it('leaves a grouped conv and a linear resize in NCHW, reordering around them', async () => {
    // Rule: only group 1 and depthwise convs are blocked; a linear Resize mixes h and w only, but
    // kiln keeps it NCHW (its blocked form is not implemented), so it reads a FromBlocked.
    const g = graphOf([1, 4, 4, 4], (b, x) => {
      const grouped = conv(b, conv(b, x, 4, 4), 4, 4, { group: 2 });
      const scales = b.initializer('s', tensorOf('float32', [4], [1, 1, 2, 2]));
      const roi = b.initializer('roi', tensorOf('float32', [0], []));
      return [b.node('Resize', [conv(b, grouped, 4, 4), roi, scales], { attrs: attrs({ mode: string('linear') }) }).outputs[0]];
    });
    const out = folded(g);
    expect(ops(out)).toEqual(['kiln::ToBlocked', 'kiln::Conv2dNCHWc', 'kiln::FromBlocked', 'Conv', 'kiln::ToBlocked', 'kiln::Conv2dNCHWc', 'kiln::FromBlocked', 'Resize']);
    await expectSameResults(g, out);
  });

  it('keeps a depthwise conv between NCHW neighbours in NCHW, and blocks one that feeds a conv', async () => {
    // Rule: a depthwise conv whose input is NCHW (a grouped conv's) is blocked only when a group-1
    // conv reads it; otherwise (ShuffleNet: shuffle → depthwise → grouped conv) both reorders
    // would cost more than it gains.
    const g = graphOf([1, 4, 6, 6], (b, x) => {
      const grouped = conv(b, x, 4, 4, { k: 1, group: 2 });
      const between = conv(b, conv(b, grouped, 4, 4, { group: 4 }), 4, 4, { k: 1, group: 2 });
      return [conv(b, conv(b, between, 4, 4, { group: 4 }), 4, 4, { k: 1 })];
    });
    const out = folded(g);
    expect(ops(out)).toEqual(['Conv', 'Conv', 'Conv', 'kiln::ToBlocked', 'kiln::DepthwiseConv2dNCHWc', 'kiln::Conv2dNCHWc', 'kiln::FromBlocked']);
    await expectSameResults(g, out);
  });

  it('pools blocked tensors as 3-D pools one lane wide, pads made explicit', async () => {
    // Rule: MaxPool and AveragePool of a blocked input stay blocked: kernel [kh, kw, 1], strides
    // [sh, sw, 1], pads [t, l, 0, b, r, 0] (auto_pad resolved), ceil_mode and count_include_pad kept.
    // 10 rows: ceil_mode makes 5 of them, not 4
    const g = graphOf([1, 3, 10, 10], (b, x) => {
      const c = conv(b, x, 3, 6);
      const m = b.node('MaxPool', [c], { attrs: attrs({ kernel_shape: ints([3, 3]), strides: ints([2, 2]), ceil_mode: int(1) }) }).outputs[0];
      const a = b.node('AveragePool', [conv(b, m, 6, 5)], { attrs: attrs({ kernel_shape: ints([3, 3]), auto_pad: string('SAME_UPPER') }) }).outputs[0];
      return [a];
    });
    const out = folded(g);
    expect(ops(out)).toEqual(['kiln::ToBlocked', 'kiln::Conv2dNCHWc', 'MaxPool', 'kiln::Conv2dNCHWc', 'AveragePool', 'kiln::FromBlocked']);
    const avg = out.nodes.find((n) => n.op === 'AveragePool')!;
    expect(avg.attrs.get('pads')).toEqual(ints([1, 1, 0, 1, 1, 0]));
    expect(avg.attrs.has('auto_pad')).toBe(false);
    expect(out.nodes.find((n) => n.op === 'MaxPool')!.outputs[0].type?.shape).toEqual([1, 2, 5, 5, 4]);
    await expectSameResults(g, out);
  });

  it('leaves a nearest Resize with an axes attribute in NCHW', async () => {
    // Rule: scales given per listed axes would not cover the lane axis; the Resize reads NCHW.
    const g = graphOf([1, 4, 3, 3], (b, x) => {
      const scales = b.initializer('s', tensorOf('float32', [2], [2, 2]));
      const a = attrs({ mode: string('nearest'), axes: ints([2, 3]) });
      return [b.node('Resize', [conv(b, x, 4, 4), null, scales], { attrs: a }).outputs[0]];
    });
    expect(ops(folded(g))).toEqual(['kiln::ToBlocked', 'kiln::Conv2dNCHWc', 'kiln::FromBlocked', 'Resize']);
    await expectSameResults(g, folded(g));
  });

  it('keeps variadic Sum, Mean, Max and Min of blocked values blocked (ResNet residual adds)', async () => {
    // Rule: these are lane-wise; as NCHW ops each would cost a FromBlocked per operand and a
    // ToBlocked after, around every residual block.
    const g = graphOf([1, 6, 5, 5], (b, x) => {
      const y = conv(b, x, 6, 6);
      const z = conv(b, y, 6, 6, { k: 1, seed: 1 });
      const sum = b.node('Sum', [y, z]).outputs[0];
      const mean = b.node('Mean', [sum, z, y]).outputs[0];
      const hi = b.node('Max', [mean, y]).outputs[0];
      return [conv(b, b.node('Min', [hi, z]).outputs[0], 6, 5, { seed: 2 })];
    });
    const out = folded(g);
    expect(ops(out)).toEqual(['kiln::ToBlocked', 'kiln::Conv2dNCHWc', 'kiln::Conv2dNCHWc', 'Sum', 'Mean', 'Max', 'Min', 'kiln::Conv2dNCHWc', 'kiln::FromBlocked']);
    await expectSameResults(g, out);
  });

  it('leaves an add of a blocked and an NCHW tensor in NCHW unless it leads to a group-1 conv', async () => {
    // Rule: a lane-wise op that mixes a blocked operand with an NCHW one of its size is blocked
    // only when its value reaches a group-1 conv through lane-wise ops (then one ToBlocked beats
    // reordering back and forth); otherwise (ShuffleNet's residual adds between grouped convs)
    // it computes in NCHW and reads the blocked operand through one FromBlocked.
    const g = graphOf([1, 4, 5, 5], (b, x) => {
      const shortcut = conv(b, x, 4, 4);
      const unit = b.node('Relu', [b.node('Add', [shortcut, conv(b, shortcut, 4, 4, { k: 1, group: 2, seed: 1 })]).outputs[0]]).outputs[0];
      const feedsDense = b.node('Add', [shortcut, conv(b, shortcut, 4, 4, { k: 1, group: 2, seed: 2 })]).outputs[0];
      return [conv(b, unit, 4, 4, { k: 1, group: 2, seed: 3 }), conv(b, feedsDense, 4, 4, { seed: 4 })];
    });
    const out = folded(g);
    expect(ops(out)).toEqual(['kiln::ToBlocked', 'kiln::Conv2dNCHWc', 'kiln::FromBlocked', 'Conv', 'Add', 'Relu', 'Conv', 'kiln::ToBlocked', 'Add', 'Conv', 'kiln::Conv2dNCHWc', 'kiln::FromBlocked']);
    await expectSameResults(g, out);
  });

  it('computes what the NCHW graph computes, on random conv chains (property)', async () => {
    // Rule: the converted graph is the same function: random chains of convs (odd channel
    // counts, strides, dilations, depthwise), hard-swish epilogues, residual adds, SE scaling.
    const step = fc.record({ kind: fc.nat(4), cout: fc.integer({ min: 1, max: 9 }), stride: fc.integer({ min: 1, max: 2 }), dilation: fc.integer({ min: 1, max: 2 }), k: fc.constantFrom(1, 3) });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 7 }), fc.array(step, { minLength: 1, maxLength: 4 }), async (cin, steps) => {
        const g = graphOf([1, cin, 7, 7], (b, x) => {
          let v = x;
          let c = cin;
          let size = 7;
          steps.forEach((s, i) => {
            const dilation = s.k === 3 && size >= 5 ? s.dilation : 1;
            if (s.kind === 0) {
              const stride = size >= 4 ? s.stride : 1;
              v = conv(b, v, c, c, { group: c, stride, dilation, seed: i });
              size = Math.floor((size - 1) / stride) + 1;
            } else if (s.kind === 1) {
              const three = b.initializer('three', tensorOf('float32', [], [3]));
              const six = b.initializer('six', tensorOf('float32', [], [6]));
              const zero = b.initializer('zero', tensorOf('float32', [], [0]));
              const clip = b.node('Clip', [b.node('Add', [v, three]).outputs[0], zero, six]).outputs[0];
              v = b.node('Div', [b.node('Mul', [v, clip]).outputs[0], six]).outputs[0];
            } else if (s.kind === 2) {
              v = b.node('Add', [v, conv(b, v, c, c, { k: 1, seed: i })]).outputs[0];
            } else if (s.kind === 3) {
              const se = b.node('Sigmoid', [conv(b, b.node('GlobalAveragePool', [v]).outputs[0], c, c, { k: 1, seed: i })]).outputs[0];
              v = b.node('Mul', [v, se]).outputs[0];
            } else {
              v = conv(b, v, c, s.cout, { k: s.k, dilation, seed: i });
              c = s.cout;
            }
          });
          return [v];
        });
        await expectSameResults(g, folded(g));
      }),
      { numRuns: 12 },
    );
  });
});
