/**
 * @file `graph.convertLayout`: convolution chains move to the blocked layout NCHW{c}c (the ops
 * in src/ops/nchwc.ts), c = the target's float32 lanes, so that a convolution's inner loop reads
 * one contiguous vector of output channels per weight and the lanes of its output block fill a
 * vector register. Reorders appear only at the edges of the chains.
 *
 * - A 2-D float Conv with group 1 becomes Conv2dNCHWc, one with a channel multiplier of 1 per
 *   group (depthwise) DepthwiseConv2dNCHWc. Weights and bias stay constants under ToBlocked
 *   nodes, which constant folding evaluates once, at compile time.
 * - Ops that mean the same on a blocked tensor follow their blocked inputs: the element-wise ops
 *   listed in `LANEWISE` (their per-channel constants blocked too, a divisor's padded lanes 1;
 *   one that mixes in an NCHW tensor of its size only when it leads to a group-1 conv),
 *   GlobalAveragePool, 2-D MaxPool and AveragePool (a 3-D pool whose window is 1 lane wide),
 *   Concat on channels (of whole blocks as it is, else as ConcatNCHWc), and
 *   nearest Resize with unit scales on N and C.
 * - Every other reader, and the graph outputs, read the value through one FromBlocked.
 *
 * Channels past C in the last block are padding. Weights are zero there, so a convolution's real
 * outputs never read a padded lane; the padded lanes of its output are 0 + 0 bias. The ops let
 * through keep them finite (0 for most, at most HardSigmoid's 0.5, Sigmoid's 0.5), so 0 · lane
 * stays 0 — a Div by a value computed at run time, which could make a padded lane NaN, stays NCHW.
 * A network input with fewer channels than a block (RGB) is blocked as one block of its own
 * width instead of being padded.
 *
 *   before:  %y = Conv(%x, %w, %b) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
 *            %r = Relu(%y)
 *            %o = Resize(%r, …)          (linear: stays NCHW)
 *   after:   %xb = kiln::ToBlocked(%x) {axis=1, block=16}
 *            %wb = kiln::ToBlocked(kiln::ToBlocked(%w) {axis=1, block=16}) {axis=0, block=16}
 *            %bb = kiln::ToBlocked(%b) {axis=0, block=16}
 *            %yb = kiln::Conv2dNCHWc(%xb, %wb, %bb) {pads=[1, 1, 1, 1], …}
 *            %rb = Relu(%yb)
 *            %r = kiln::FromBlocked(%rb) {axis=1, channels=C}
 *            %o = Resize(%r, …)
 */

import type { Attrs } from '../../graph/attrs.js';
import { attrs as makeAttrs, float, getAttr, int, ints } from '../../graph/attrs.js';
import { GraphBuilder } from '../../graph/builder.js';
import type { Graph, Node, Value } from '../../graph/graph.js';
import type { HostTensor } from '../../graph/tensor.js';
import { shapeSize, tensorNumbers, tensorOf } from '../../graph/tensor.js';
import { staticShape } from '../../graph/types.js';
import { indexGraph } from '../../graph/uses.js';
import type { GraphIndex } from '../../graph/uses.js';
import type { AutoPad, WindowAttrs } from '../../ops/window.js';
import { padsOf } from '../../ops/window.js';
import { definePass } from '../pass.js';
import type { Pass, PassContext } from '../pass.js';
import { KILN_DOMAIN, withKilnOpset } from './fused.js';
import { inferGraph } from './inferTypes.js';

const PASS = 'graph.convertLayout';

/**
 * Element-wise ops that map finite lanes to finite lanes, each lane alone. The variadic Sum, Mean,
 * Max and Min are among them: ResNet's residual adds are Sums (opset < 7 had no broadcasting Add),
 * which as NCHW ops cost a reorder each way around every block.
 */
const LANEWISE: ReadonlySet<string> = new Set(['Add', 'Sub', 'Mul', 'Div', 'Sum', 'Mean', 'Max', 'Min', 'Relu', 'Clip', 'HardSigmoid', 'HardSwish', 'Sigmoid', 'Tanh', 'LeakyRelu', 'Neg', 'Identity']);

/** A value's blocked form: the channels it holds and the lanes per block. */
interface Blocked {
  readonly value: Value;
  readonly channels: number;
  readonly block: number;
}

const shapeOf = (v: Value | null): number[] | null => (v?.type ? staticShape(v.type.shape) : null);

/** The window attributes of a 2-D Conv whose kernel extents are `kernel`. */
function convWindow(n: Node, kernel: readonly number[]): WindowAttrs {
  return {
    kernel,
    strides: getAttr(n, 'strides', 'ints', [1, 1]),
    dilations: getAttr(n, 'dilations', 'ints', [1, 1]),
    pads: getAttr(n, 'pads', 'ints', [0, 0, 0, 0]),
    autoPad: getAttr(n, 'auto_pad', 'string', 'NOTSET') as AutoPad,
    ceilMode: false,
  };
}

class Converter {
  private readonly b: GraphBuilder;
  /** original value id → its blocked form */
  private readonly blocked = new Map<number, Blocked>();
  /** original value id → the FromBlocked value NCHW readers use */
  private readonly plain = new Map<number, Value>();
  /** ToBlocked results, by source value id and attributes, so each is made once */
  private readonly reorders = new Map<string, Value>();

  constructor(
    private readonly g: Graph,
    private readonly index: GraphIndex,
    private readonly lanes: number,
  ) {
    this.b = GraphBuilder.from({ ...g, opsets: withKilnOpset(g.opsets) });
  }

  run(): Graph {
    for (const n of this.g.nodes) if (!this.convert(n)) this.b.copy(n, { inputs: n.inputs.map((v) => v && this.plainOf(v)) });
    return inferGraph(this.b.build(this.g.outputs.map((v) => this.plainOf(v))));
  }

  /** Emits the blocked form of `n` when it has one; false leaves `n` to be copied as it is. */
  private convert(n: Node): boolean {
    if (n.domain !== '' || n.outputs.length !== 1 || n.outputs[0].type?.dtype !== 'float32') return false;
    if (n.op === 'Conv') return this.conv(n);
    if (!n.inputs.some((v) => v && this.blocked.has(v.id))) return false;
    if (LANEWISE.has(n.op)) return this.lanewise(n);
    if (n.op === 'GlobalAveragePool') return this.globalPool(n);
    if (n.op === 'MaxPool' || n.op === 'AveragePool') return this.pool(n);
    if (n.op === 'Concat') return this.concat(n);
    if (n.op === 'Resize') return this.resize(n);
    return false;
  }

  private conv(n: Node): boolean {
    const [x, w, bias] = [n.inputs[0], n.inputs[1], n.inputs[2] ?? null];
    const [xs, ws, ys] = [shapeOf(x), shapeOf(w), shapeOf(n.outputs[0])];
    if (!x || !w || !xs || !ws || !ys || xs.length !== 4 || ws.length !== 4) return false;
    if (this.index.constant(w) === undefined || (bias && this.index.constant(bias) === undefined)) return false;
    const group = getAttr(n, 'group', 'int', 1);
    const [c, m] = [xs[1], ws[0]];
    const depthwise = group > 1 && group === c && m === c;
    if (group !== 1 && !depthwise) return false;
    if (depthwise && !this.blocked.has(x.id) && !this.feedsDenseConv(n.outputs[0])) return false;
    const win = convWindow(n, ws.slice(2));
    const pads = [padsOf(win, 0, xs[2]), padsOf(win, 1, xs[3])];
    if (pads.some((p) => p === null)) return false;
    const [[pt, pb], [pl, pr]] = pads as [number, number][];
    const block = this.lanes;
    // an NCHW input narrower than a block (RGB) is one block of its own width, not padded
    const inBlock = this.blocked.get(x.id)?.block ?? (depthwise || c >= block ? block : c);
    const xb = this.blockedOf(x, inBlock);
    const wb = depthwise ? this.reorder(w, 0, block, 0) : this.reorder(this.reorder(w, 1, inBlock, 0), 0, block, 0);
    const bb = bias && this.reorder(bias, 0, block, 0);
    const window = makeAttrs({ strides: ints(win.strides), dilations: ints(win.dilations), pads: ints([pt, pl, pb, pr]) });
    const op = depthwise ? 'DepthwiseConv2dNCHWc' : 'Conv2dNCHWc';
    this.emit(n, op, [xb, wb, bb], window, m, block);
    return true;
  }

  /**
   * Whether a reader of `v` is a group-1 Conv (which will be blocked). A depthwise conv between
   * NCHW neighbours (ShuffleNet's, between a channel shuffle and a grouped conv) stays NCHW: its
   * blocked form would cost a reorder on each side, more than the convolution itself.
   */
  private feedsDenseConv(v: Value): boolean {
    return this.index.consumers(v).some((r) => r.op === 'Conv' && r.domain === '' && getAttr(r, 'group', 'int', 1) === 1);
  }

  /**
   * Whether `v` reaches a group-1 Conv through lane-wise ops alone. A lane-wise op that mixes a
   * blocked operand with an NCHW one of its size is blocked only then: ShuffleNet's residual Sum
   * of a blocked shortcut and a grouped conv's NCHW output feeds grouped convs and the next Sum,
   * and blocked it cost a ToBlocked and a FromBlocked per unit (the chain never left the blocked
   * layout), where NCHW costs one FromBlocked of the shortcut.
   */
  private reachesDenseConv(v: Value, seen = new Set<number>()): boolean {
    if (seen.has(v.id)) return false;
    seen.add(v.id);
    return this.index.consumers(v).some((r) => (r.op === 'Conv' && r.domain === '' && getAttr(r, 'group', 'int', 1) === 1) || (r.domain === '' && LANEWISE.has(r.op) && r.outputs.length === 1 && this.reachesDenseConv(r.outputs[0], seen)));
  }

  private lanewise(n: Node): boolean {
    const out = shapeOf(n.outputs[0]);
    if (!out || out.length !== 4) return false;
    const channels = out[1];
    const spatial = out[2] * out[3];
    const reorders = (v: Value): boolean => {
      const shape = shapeOf(v);
      return !this.blocked.has(v.id) && this.index.constant(v) === undefined && shape !== null && shape.length === 4 && shape[2] * shape[3] === spatial && spatial > 1;
    };
    if (n.inputs.some((v) => v && reorders(v)) && !this.reachesDenseConv(n.outputs[0])) return false;
    const ins: (Value | null)[] = [];
    for (const [k, v] of n.inputs.entries()) {
      if (v === null) {
        ins.push(null);
        continue;
      }
      const divisor = n.op === 'Div' && k === 1;
      const b = this.operand(v, channels, divisor);
      if (b === null) return false;
      ins.push(b);
    }
    this.emit(n, n.op, ins, n.attrs, channels, this.lanes);
    return true;
  }

  /**
   * `v` as an operand of a lane-wise op with `channels` output channels: blocked, a single element
   * (broadcast as it is), a per-channel constant blocked, or an NCHW tensor of those channels
   * reordered. Null where none applies, or where a divisor is not constant.
   */
  private operand(v: Value, channels: number, divisor: boolean): Value | null {
    const shape = shapeOf(v);
    if (!shape) return null;
    const known = this.index.constant(v);
    if (divisor && known === undefined) return null;
    const mine = this.blocked.get(v.id);
    if (mine) return mine.channels === channels && mine.block === this.lanes ? mine.value : null;
    if (shapeSize(shape) === 1 && shape.length <= 4) return this.b.resolve(v);
    const r = shape.length;
    if (known !== undefined && (r === 3 || r === 4) && shape[r - 3] === channels && shape[r - 2] === 1 && shape[r - 1] === 1 && (r === 3 || shape[0] === 1)) {
      return this.reorder(v, r - 3, this.lanes, divisor ? 1 : 0);
    }
    if (r === 4 && shape[1] === channels) return this.blockedOf(v, this.lanes);
    return null;
  }

  private globalPool(n: Node): boolean {
    const x = this.blocked.get(n.inputs[0]!.id);
    if (!x) return false;
    this.emit(n, 'GlobalAveragePoolNCHWc', [x.value], new Map(), x.channels, x.block);
    return true;
  }

  /**
   * A 2-D MaxPool or AveragePool of a blocked tensor is the same pool over (h, w, lanes) with a
   * window of 1 lane: the ONNX op on the 5-D tensor, its pads made explicit.
   */
  private pool(n: Node): boolean {
    const x = this.blocked.get(n.inputs[0]!.id);
    const xs = shapeOf(n.inputs[0]);
    if (!x || !xs || xs.length !== 4 || n.outputs.length !== 1) return false;
    const kernel = getAttr(n, 'kernel_shape', 'ints', []);
    if (kernel.length !== 2) return false;
    const win: WindowAttrs = { ...convWindow(n, kernel), ceilMode: getAttr(n, 'ceil_mode', 'int', 0) !== 0 };
    const pads = [padsOf(win, 0, xs[2]), padsOf(win, 1, xs[3])];
    if (pads.some((p) => p === null)) return false;
    const [[pt, pb], [pl, pr]] = pads as [number, number][];
    const a = new Map(n.attrs);
    a.delete('auto_pad');
    const window = makeAttrs({ kernel_shape: ints([...kernel, 1]), strides: ints([...win.strides, 1]), dilations: ints([...win.dilations, 1]), pads: ints([pt, pl, 0, pb, pr, 0]) });
    for (const [k, v] of window) a.set(k, v);
    this.emit(n, n.op, [x.value], a, x.channels, x.block);
    return true;
  }

  /**
   * Channels concatenate block by block (Concat) when every input but the last fills its blocks,
   * else lane by lane (ConcatNCHWc).
   */
  private concat(n: Node): boolean {
    const out = shapeOf(n.outputs[0]);
    const axis = getAttr(n, 'axis', 'int', 0);
    if (!out || out.length !== 4 || (axis !== 1 && axis !== -3)) return false;
    const ins: Value[] = [];
    const channels: number[] = [];
    for (const v of n.inputs) {
      const shape = shapeOf(v);
      if (!v || !shape || shape.length !== 4) return false;
      const mine = this.blocked.get(v.id);
      if (mine && mine.block !== this.lanes) return false;
      if (!mine && this.index.constant(v) !== undefined) return false;
      ins.push(this.blockedOf(v, this.lanes));
      channels.push(shape[1]);
    }
    const whole = channels.slice(0, -1).every((c) => c % this.lanes === 0);
    if (whole) this.emit(n, 'Concat', ins, makeAttrs({ axis: int(1) }), out[1], this.lanes);
    else this.emit(n, 'ConcatNCHWc', ins, makeAttrs({ channels: ints(channels) }), out[1], this.lanes);
    return true;
  }

  /** Nearest Resize scales h and w alone; the blocked tensor gets scale 1 (or its size) on the lanes. */
  private resize(n: Node): boolean {
    const x = this.blocked.get(n.inputs[0]!.id);
    const out = shapeOf(n.outputs[0]);
    if (!x || !out || out.length !== 4 || getAttr(n, 'mode', 'string', 'nearest') !== 'nearest') return false;
    if (getAttr(n, 'coordinate_transformation_mode', 'string', 'half_pixel') === 'tf_crop_and_resize') return false;
    // scales per listed axes, or sizes fitted by aspect ratio, would read the lanes as an image axis
    if (n.attrs.has('axes') || getAttr(n, 'keep_aspect_ratio_policy', 'string', 'stretch') !== 'stretch') return false;
    const [roi, scales, sizes] = [n.inputs[1] ?? null, n.inputs[2] ?? null, n.inputs[3] ?? null];
    const constant = (v: Value | null): HostTensor | null | undefined => (v === null ? null : this.index.constant(v));
    const [s, z] = [constant(scales), constant(sizes)];
    if (s === undefined || z === undefined || constant(roi) === undefined) return false;
    const blocks = Math.ceil(x.channels / x.block);
    let ins: (Value | null)[];
    if (s !== null && s.data.length === 4) {
      const f = tensorNumbers(s);
      if (f[0] !== 1 || f[1] !== 1) return false;
      ins = [x.value, roi && this.b.resolve(roi), this.b.initializer('scales', tensorOf('float32', [5], [...f, 1])), null];
    } else if (z !== null && z.data.length === 4) {
      const d = tensorNumbers(z);
      if (d[1] !== x.channels) return false;
      ins = [x.value, roi && this.b.resolve(roi), scales && this.b.resolve(scales), this.b.initializer('sizes', tensorOf('int64', [5], [d[0], blocks, d[2], d[3], x.block].map(BigInt)))];
    } else return false;
    while (ins.length > 1 && ins[ins.length - 1] === null) ins.pop();
    this.emit(n, 'Resize', ins, n.attrs, x.channels, x.block);
    return true;
  }

  /** Appends the blocked replacement of `n` and records its output as blocked. */
  private emit(n: Node, op: string, inputs: readonly (Value | null)[], attrs: Attrs, channels: number, block: number): void {
    const domain = op.endsWith('NCHWc') ? KILN_DOMAIN : '';
    const out = this.b.node(op, inputs, { domain, name: n.name, attrs, outputs: [{ name: n.outputs[0].name }] }).outputs[0];
    this.blocked.set(n.outputs[0].id, { value: out, channels, block });
  }

  /** `v` blocked: its blocked form, or an NCHW value reordered (once). */
  private blockedOf(v: Value, block: number): Value {
    const mine = this.blocked.get(v.id);
    return mine ? mine.value : this.reorder(v, 1, block, 0);
  }

  /** ToBlocked(v) on `axis` (made once per source and attributes). */
  private reorder(v: Value, axis: number, block: number, pad: number): Value {
    const source = this.b.resolve(v);
    const key = `${source.id}:${axis}:${block}:${pad}`;
    let r = this.reorders.get(key);
    if (!r) {
      const a = makeAttrs({ axis: int(axis), block: int(block), ...(pad !== 0 ? { pad: float(pad) } : {}) });
      r = this.b.node('ToBlocked', [source], { domain: KILN_DOMAIN, attrs: a }).outputs[0];
      this.reorders.set(key, r);
    }
    return r;
  }

  /** `v` as NCHW readers see it: itself, or its blocked form reordered back (once). */
  private plainOf(v: Value): Value {
    const mine = this.blocked.get(v.id);
    if (!mine) return this.b.resolve(v);
    let p = this.plain.get(v.id);
    if (!p) {
      const a = makeAttrs({ axis: int(1), channels: int(mine.channels) });
      p = this.b.node('FromBlocked', [mine.value], { domain: KILN_DOMAIN, attrs: a, outputs: [{ name: v.name }] }).outputs[0];
      this.plain.set(v.id, p);
    }
    return p;
  }
}

/** float32 lanes of the target's vectors; 0 when there is no target to block for. */
function lanesOf(ctx: PassContext): number {
  return ctx.target ? Math.floor(ctx.target.vectorBits / 32) : 0;
}

function convertLayoutOf(g: Graph, ctx: PassContext): Graph {
  const lanes = lanesOf(ctx);
  if (lanes < 2 || !g.nodes.some((n) => n.op === 'Conv' && n.domain === '')) return g;
  return new Converter(g, indexGraph(g), lanes).run();
}

export const convertLayout: Pass<Graph> = definePass({ name: PASS, run: convertLayoutOf });
