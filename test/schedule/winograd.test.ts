/**
 * @file The winograd primitive (src/schedule/winograd.ts): F(2×2, 3×3) and F(4×4, 3×3) compute
 * what the direct convolution computes on every available target, with sizes the tile divides
 * and sizes it does not, with padding, with a fused epilogue and with the NCHWc layout; the
 * primitive records, replays, and refuses what it does not apply to with a ScheduleError naming
 * the stage.
 */

import { describe, expect, it } from 'vitest';
import { attrs, ints } from '../../src/graph/attrs.js';
import { makeNode, value } from '../../src/graph/graph.js';
import { tensorType } from '../../src/graph/types.js';
import { add, mul } from '../../src/ir/expr.js';
import { lower } from '../../src/lower/index.js';
import { computeNode } from '../../src/ops/index.js';
import type { Schedule } from '../../src/schedule/index.js';
import { createSchedule, printSchedule, replaySchedule, ScheduleError } from '../../src/schedule/index.js';
import type { Tensor } from '../../src/te/index.js';
import { compute, max, placeholder, reduceAxis, sum } from '../../src/te/index.js';
import { printFunc } from '../../src/tir/print.js';
import { TARGETS } from '../api/helpers.js';
import { maxRelError, runSchedules } from '../tune/auto-programs.js';

interface Program {
  readonly inputs: Tensor[];
  readonly conv: Tensor;
  readonly out: Tensor;
}

/** Conv2dNCHWc over x [1, cb, h, w, lanes], 3×3 weights for `mb` blocks, `pad` on every side, a bias and a ReLU when `relu`. */
function blocked(cb: number, h: number, w: number, mb: number, lanes: number, pad: number, relu: boolean): Program {
  const [xs, ws, bs] = [[1, cb, h, w, lanes], [mb, cb, 3, 3, lanes, lanes], [mb, lanes]];
  const node = makeNode({
    op: 'Conv2dNCHWc',
    domain: 'kiln',
    inputs: [value('x', tensorType('float32', xs)), value('w', tensorType('float32', ws)), value('b', tensorType('float32', bs))],
    outputs: [value('y', null)],
    attrs: attrs({ strides: ints([1, 1]), pads: ints([pad, pad, pad, pad]), dilations: ints([1, 1]) }),
  });
  const inputs = [placeholder(xs, 'float32', 'x'), placeholder(ws, 'float32', 'w'), placeholder(bs, 'float32', 'b')];
  const [biased] = computeNode(node, 13, inputs, () => null);
  // the convolution is the stage the bias add reads
  const conv = biased.op.kind === 'compute' && biased.op.body.kind === 'binary' && biased.op.body.a.kind === 'tensorRead' ? biased.op.body.a.tensor : biased;
  const out = relu ? compute(biased.shape, (...i) => max(biased.at(...i), 0), 'relu', { tag: 'elementwise' }) : biased;
  return { inputs, conv, out };
}

/** A plain NCHW convolution written directly, no padding: y[n, m, h, w] = Σ x[n, c, h + ry, w + rx] · k[m, c, ry, rx]. */
function plain(c: number, h: number, w: number, m: number): Program {
  const x = placeholder([1, c, h, w], 'float32', 'x');
  const k = placeholder([m, c, 3, 3], 'float32', 'k');
  const [rc, ry, rx] = [reduceAxis(c, 'rc'), reduceAxis(3, 'ry'), reduceAxis(3, 'rx')];
  const conv = compute([1, m, h - 2, w - 2], (n, o, y, xx) => sum(mul(x.at(n, rc.var, add(y, ry.var), add(xx, rx.var)), k.at(o, rc.var, ry.var, rx.var)), [rc, ry, rx]), 'conv', { tag: 'conv2d' });
  return { inputs: [x, k], conv, out: conv };
}

const CASES: [string, () => Program][] = [
  ['NCHWc 2 → 2 blocks at 8², pad 1, bias, ReLU', () => blocked(2, 8, 8, 2, 4, 1, true)],
  ['NCHWc 1 → 3 blocks at 7 × 9 (no tile divides), pad 1', () => blocked(1, 7, 9, 3, 4, 1, false)],
  ['NCHWc 3 → 1 block at 10², no padding', () => blocked(3, 10, 10, 1, 4, 0, false)],
  ['plain NCHW 5 → 6 channels at 11 × 13', () => plain(5, 11, 13, 6)],
];

describe.each(TARGETS)('winograd on %s', (target) => {
  it.each(CASES.flatMap(([name, make]) => [2, 4].map((tile): [string, number, () => Program] => [name, tile, make])))('%s, tile %i', async (_, tile, make) => {
    const p = make();
    const s = createSchedule([p.out]);
    s.winograd(p.conv, tile);
    const [[expected], [actual]] = await runSchedules([createSchedule([p.out]), s], [p.out], target);
    expect(maxRelError(expected, actual)).toBeLessThanOrEqual(tile === 2 ? 1e-5 : 1e-4);
  });
});

describe('the winograd primitive as a step', () => {
  it('records one step naming the stages it adds, and replays to the same loop nest', () => {
    const p = blocked(2, 8, 8, 2, 4, 1, true);
    const s = createSchedule([p.out]);
    const added = s.winograd(p.conv, 4);
    expect(added.map((t) => t.name)).toEqual(['conv2d_nchwc.wg_u1', 'conv2d_nchwc.wg_u', 'conv2d_nchwc.wg_t', 'conv2d_nchwc.wg_v', 'conv2d_nchwc.wg_m', 'conv2d_nchwc.wg_z']);
    expect(printSchedule(s)).toBe('conv2d_nchwc: winograd(tile=4) -> conv2d_nchwc.wg_u1, conv2d_nchwc.wg_u, conv2d_nchwc.wg_t, conv2d_nchwc.wg_v, conv2d_nchwc.wg_m, conv2d_nchwc.wg_z');
    s.stage(added[4]).split(s.stage(added[4]).axis[3], { factor: 2 });
    const again = blocked(2, 8, 8, 2, 4, 1, true);
    const replayed = replaySchedule(s.steps, [again.out]);
    const tir = (sch: Schedule, q: Program): string => printFunc(lower(sch, [...q.inputs, q.out], 'k'));
    expect(tir(replayed, again)).toBe(tir(s, p));
  });

  it('refuses what it does not apply to, naming the stage and the reason', () => {
    const strided = (): Program => {
      const x = placeholder([1, 2, 9, 9], 'float32', 'x');
      const k = placeholder([2, 2, 3, 3], 'float32', 'k');
      const [rc, ry, rx] = [reduceAxis(2, 'rc'), reduceAxis(3, 'ry'), reduceAxis(3, 'rx')];
      const conv = compute([1, 2, 4, 4], (n, o, y, xx) => sum(mul(x.at(n, rc.var, add(mul(y, 2), ry.var), add(mul(xx, 2), rx.var)), k.at(o, rc.var, ry.var, rx.var)), [rc, ry, rx]), 'conv');
      return { inputs: [x, k], conv, out: conv };
    };
    const cases: [string, () => void][] = [
      ['stride 2', () => {
        const p = strided();
        createSchedule([p.out]).winograd(p.conv, 4);
      }],
      ['tile 3', () => {
        const p = plain(2, 8, 8, 2);
        createSchedule([p.out]).winograd(p.conv, 3);
      }],
      ['already split', () => {
        const p = plain(2, 8, 8, 2);
        const s = createSchedule([p.out]);
        s.stage(p.conv).split(s.stage(p.conv).axis[2], { factor: 2 });
        s.winograd(p.conv, 2);
      }],
      ['depthwise (no channel reduction)', () => {
        const x = placeholder([1, 2, 6, 6], 'float32', 'x');
        const k = placeholder([2, 3, 3], 'float32', 'k');
        const [ry, rx] = [reduceAxis(3, 'ry'), reduceAxis(3, 'rx')];
        const conv = compute([1, 2, 4, 4], (n, c, y, xx) => sum(mul(x.at(n, c, add(y, ry.var), add(xx, rx.var)), k.at(c, ry.var, rx.var)), [ry, rx]), 'conv');
        createSchedule([conv]).winograd(conv, 2);
      }],
      ['an element-wise stage', () => {
        const p = blocked(1, 6, 6, 1, 4, 1, true);
        createSchedule([p.out]).winograd(p.out, 2);
      }],
    ];
    for (const [name, fn] of cases) {
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(ScheduleError);
      expect(String(error), name).toMatch(/winograd\((conv|relu)/);
    }
  });
});
