/**
 * @file `graph.decomposeConvTranspose`: a ConvTranspose becomes a stride-1 Conv with one output
 * channel per (channel, stride phase) and an interleave of the phases, so no multiply reads the
 * zeros of a stride-spread grid and the convolution strategies (the blocked NCHWc one included)
 * do the arithmetic.
 *
 * In one spatial dim, with full output index f = o + padBegin = q·s + p (phase p < s), only the
 * taps k with k·d = p + j·s reach f, from input q − j: y[q·s + p] = Σ_j x[q − j] · w[p + j·s]
 * (w spread by d). So phase p is a correlation of x with J = ⌈((K − 1)·d + 1) / s⌉ taps (the
 * kernel, spread by d, zero-extended to J·s taps, split into J rows of s phases, rows reversed).
 * The Conv computes every phase for q from q0 on; the interleave places phase p of q at
 * (q − q0)·s + p, and a Slice crops to the output. The kernel rewrite is graph ops on the weights,
 * which constant folding evaluates once when they are constants; the bias is repeated per phase.
 *
 * The Conv's output channels run [group, phase, channel]; a group-1 phase is padded with zero
 * channels to whole vectors of the target when that is cheap, so that in the blocked layout the
 * interleave copies whole channel vectors (`phaseChannels`).
 *
 *   before:  %y = ConvTranspose(%x, %w) {kernel_shape=[2, 2], strides=[2, 2]}    x: [1, 24, 160, 160]
 *   after:   %w2 = Reshape(Pad(Transpose(Slice(Reshape(%w)))))   (weights [128, 24, 1, 1], 16 lanes)
 *            %z = Conv(%x, %w2) {kernel_shape=[1, 1]}                            z: [1, 128, 160, 160]
 *            %t = Slice(Reshape(%z) {[1, 1, 2, 2, 32, 160, 160]}) {channels 0…24}
 *            %y = Reshape(Transpose(%t) {perm=[0, 1, 4, 5, 2, 6, 3]})           y: [1, 24, 320, 320]
 *
 * Only float ConvTransposes whose input and weight shapes are known are rewritten (the pads and
 * phase counts follow from them), under default-domain opset 11 or later (the Pad, Slice, Expand
 * and Reshape forms emitted).
 */

import { attrs, int, ints } from '../../graph/attrs.js';
import { GraphBuilder } from '../../graph/builder.js';
import type { Graph, Node, Value } from '../../graph/graph.js';
import { tensorOf } from '../../graph/tensor.js';
import { staticShape } from '../../graph/types.js';
import { transposeWindow } from '../../ops/conv.js';
import { attrContext } from '../../ops/context.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';
import { opsetOf } from './common.js';
import { inferGraph } from './inferTypes.js';

const PASS = 'graph.decomposeConvTranspose';
const MIN_OPSET = 11;

/** How one spatial dim of a ConvTranspose maps onto the phase Conv. */
export interface PhaseDim {
  /** stride: the number of phases */
  readonly s: number;
  /** taps per phase */
  readonly taps: number;
  /** the Conv's pads */
  readonly pads: [number, number];
  /** the Conv's output extent */
  readonly extent: number;
  /** where the output starts in the interleaved extent·s */
  readonly crop: number;
}

/**
 * The phase Conv of one dim: input extent `n`, stride `s`, dilated kernel span `span`, output
 * starting at full index `padBegin` with `out` elements. The Conv computes q from q0 on, where
 * q0 ≤ ⌊padBegin / s⌋ keeps its pads ≥ 0 (a larger q range is cropped afterwards).
 */
export function phaseDim(n: number, s: number, span: number, padBegin: number, out: number): PhaseDim {
  const taps = Math.ceil(span / s);
  const [first, last] = [Math.floor(padBegin / s), Math.floor((padBegin + out - 1) / s)];
  const before = Math.max(taps - 1 - first, 0);
  const q0 = taps - 1 - before;
  const after = Math.max(last - q0 + taps - n - before, 0);
  return { s, taps, pads: [before, after], extent: n + before + after - taps + 1, crop: padBegin - q0 * s };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k);
const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/**
 * Output channels of a group per phase in the Conv: Mg, or Mg rounded up to whole vectors of
 * `lanes` when that costs at most half again — then in the blocked layout each interleaved
 * output vector is one vector of the Conv's output, not a gather across its blocks.
 */
export function phaseChannels(mg: number, group: number, lanes: number | null): number {
  if (lanes === null || group !== 1) return mg;
  const padded = Math.ceil(mg / lanes) * lanes;
  return 2 * padded <= 3 * mg ? padded : mg;
}

/** One ConvTranspose's rewrite; the Conv's output channels are laid out [group, phase, channel]. */
class Decomposer {
  private readonly rank: number;
  private readonly phases: number;

  constructor(
    private readonly b: GraphBuilder,
    private readonly group: number,
    private readonly mg: number,
    /** channels per phase of a group, Mg or more (zeros past Mg) */
    private readonly mgp: number,
    private readonly dims: readonly PhaseDim[],
  ) {
    this.rank = dims.length;
    this.phases = product(dims.map((d) => d.s));
  }

  private ints(values: readonly number[]): Value {
    return this.b.initializer('', tensorOf('int64', [values.length], values.map(BigInt)));
  }

  /** The output of a new node; `into` is the value it defines, a fresh one by default. */
  private op(op: string, inputs: readonly (Value | null)[], a: Parameters<typeof attrs>[0] = {}, into?: Value): Value {
    return this.b.node(op, inputs, { attrs: attrs(a), outputs: into ? [into] : 1 }).outputs[0];
  }

  private reshape(v: Value, shape: readonly number[], into?: Value): Value {
    return this.op('Reshape', [v, this.ints(shape)], {}, into);
  }

  /** `v` zero-padded at the end of axis `axis` from Mg to Mgp channels. */
  private padChannels(v: Value, rank: number, axis: number): Value {
    if (this.mgp === this.mg) return v;
    return this.op('Pad', [v, this.ints([...range(rank).map(() => 0), ...range(rank).map((k) => (k === axis ? this.mgp - this.mg : 0))])]);
  }

  /** Emits the nodes computing `y` = ConvTranspose(x, w, bias) of input shape `xs`. */
  emit(x: Value, w: Value, bias: Value | null, y: Value, xs: readonly number[], kernel: readonly number[], dil: readonly number[], out: readonly number[]): void {
    const { dims, group, phases } = this;
    const channels = group * phases * this.mgp;
    const weights = this.phaseWeights(w, xs[1] / group, kernel, dil);
    const b = bias && this.reshape(this.op('Expand', [this.padChannels(this.reshape(bias, [group, 1, this.mg]), 3, 2), this.ints([group, phases, this.mgp])]), [channels]);
    const cropped = dims.some((d, i) => d.crop !== 0 || d.extent * d.s !== out[i + 2]);
    const direct = phases === 1 && this.mgp === this.mg;
    const conv = this.op('Conv', [x, weights, b], {
      group: int(group),
      kernel_shape: ints(dims.map((d) => d.taps)),
      pads: ints([...dims.map((d) => d.pads[0]), ...dims.map((d) => d.pads[1])]),
      strides: ints(dims.map(() => 1)),
      dilations: ints(dims.map(() => 1)),
    }, direct && !cropped ? y : undefined);
    const inter = direct ? conv : this.interleave(conv, xs[0], cropped ? undefined : y);
    if (!cropped) return;
    const axes = range(this.rank).map((i) => i + 2);
    this.op('Slice', [inter, this.ints(dims.map((d) => d.crop)), this.ints(dims.map((d, i) => d.crop + out[i + 2])), this.ints(axes)], {}, y);
  }

  /** z: [N, G·P·Mgp, Q…] → [N, G·Mg, Q₀·s₀, Q₁·s₁, …], phase p of q at q·s + p. */
  private interleave(z: Value, batch: number, into?: Value): Value {
    const { dims, rank, group, mg, mgp } = this;
    let v = this.reshape(z, [batch, group, ...dims.map((d) => d.s), mgp, ...dims.map((d) => d.extent)]);
    if (mgp !== mg) v = this.op('Slice', [v, this.ints([0]), this.ints([mg]), this.ints([2 + rank])]);
    // [N, G, s…, Mg, Q…] → [N, G, Mg, Q₀, s₀, Q₁, s₁, …]
    const perm = [0, 1, 2 + rank, ...range(rank).flatMap((i) => [3 + rank + i, 2 + i])];
    v = this.op('Transpose', [v], { perm: ints(perm) });
    return this.reshape(v, [batch, group * mg, ...dims.map((d) => d.extent * d.s)], into);
  }

  /**
   * w: [C, Mg, K…] → [G·P·Mgp, C/G, J…]: output channel (g·P + phase)·Mgp + m; tap r of a phase
   * is tap J − 1 − j of w spread by d, zero-extended to J·s and split as j·s + p.
   */
  private phaseWeights(w: Value, cg: number, kernel: readonly number[], dil: readonly number[]): Value {
    const { dims, rank, group, mg } = this;
    const lead = [group, cg, mg];
    let v = this.reshape(w, [...lead, ...kernel]);
    let lengths = [...kernel];
    if (dil.some((d) => d > 1)) {
      // each tap followed by d − 1 zeros: [.., K, 1, ..] padded to [.., K, d, ..], merged
      v = this.reshape(v, [...lead, ...kernel.flatMap((k) => [k, 1])]);
      const ends = [0, 0, 0, ...dil.flatMap((d) => [0, d - 1])];
      v = this.op('Pad', [v, this.ints([...ends.map(() => 0), ...ends])]);
      lengths = kernel.map((k, i) => k * dil[i]);
      v = this.reshape(v, [...lead, ...lengths]);
    }
    const grow = dims.map((d, i) => d.taps * d.s - lengths[i]);
    if (grow.some((g) => g !== 0)) v = this.op('Pad', [v, this.ints([0, 0, 0, ...grow.map(() => 0), 0, 0, 0, ...grow])]);
    v = this.reshape(v, [...lead, ...dims.flatMap((d) => [d.taps, d.s])]);
    const rows = range(rank).map((i) => 3 + 2 * i);
    v = this.op('Slice', [v, this.ints(rows.map(() => -1)), this.ints(rows.map(() => Number.MIN_SAFE_INTEGER)), this.ints(rows), this.ints(rows.map(() => -1))]);
    // [G, Cg, Mg, J₀, s₀, J₁, s₁, …] → [G, s…, Mg, Cg, J…]
    v = this.op('Transpose', [v], { perm: ints([0, ...rows.map((r) => r + 1), 2, 1, ...rows]) });
    v = this.padChannels(v, 3 + 2 * rank, 1 + rank);
    return this.reshape(v, [group * this.phases * this.mgp, cg, ...dims.map((d) => d.taps)]);
  }
}

/** Rewrites ConvTranspose `n`; false when it stays (unknown shapes, not float, an old opset). */
function decompose(b: GraphBuilder, n: Node, opset: number, lanes: number | null): boolean {
  const y = n.outputs[0];
  const [x, w, bias] = [n.inputs[0], n.inputs[1], n.inputs[2] ?? null];
  const xs = x?.type ? staticShape(x.type.shape) : null;
  const ws = w?.type ? staticShape(w.type.shape) : null;
  const out = y.type ? staticShape(y.type.shape) : null;
  if (!x || !w || !xs || !ws || !out || opset < MIN_OPSET) return false;
  if (!['float32', 'float64', 'float16'].includes(x.type?.dtype ?? '')) return false;
  const { win, group, pads } = transposeWindow(attrContext(n, opset), xs.slice(2), ws.slice(2));
  const dims = xs.slice(2).map((extent, i) => phaseDim(extent, win.strides[i], (win.kernel[i] - 1) * win.dilations[i] + 1, pads[i][0], out[i + 2]));
  const strided = win.strides.some((st) => st > 1);
  new Decomposer(b, group, ws[1], strided ? phaseChannels(ws[1], group, lanes) : ws[1], dims).emit(x, w, bias, y, xs, win.kernel, win.dilations, out);
  return true;
}

export const decomposeConvTranspose: Pass<Graph> = definePass({
  name: PASS,
  run(g, ctx) {
    if (!g.nodes.some((n) => n.op === 'ConvTranspose' && n.domain === '')) return g;
    const b = GraphBuilder.from(g);
    const lanes = ctx.target ? ctx.target.vectorBits / 32 : null;
    let changed = false;
    for (const n of g.nodes) {
      const done = n.op === 'ConvTranspose' && n.domain === '' && decompose(b, n, opsetOf(g, n, PASS), lanes);
      if (done) changed = true;
      else b.copy(n);
    }
    return changed ? inferGraph(b.build(g.outputs)) : g;
  },
});
