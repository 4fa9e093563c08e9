import { describe, expect, it } from 'vitest';
import { attrs, int, ints } from '../../../src/graph/attrs.js';
import type { GraphBuilder } from '../../../src/graph/builder.js';
import type { Graph, Node, Value } from '../../../src/graph/graph.js';
import { tensorOf } from '../../../src/graph/tensor.js';
import { GraphPassError, combinePatterns, fuseOps, fusedBody, isFused } from '../../../src/passes/graph/index.js';
import { after, allClose, builder, ctx, f32, floats, lines, ramp, typed } from './helpers.js';
import { runGraph } from './interpret.js';

/** x: float32[1, 2, 4, 4] through `f`, typed, then fused. */
function fused(f: (b: GraphBuilder, x: Value) => Value[]): { before: Graph; after: Graph } {
  const b = builder();
  const x = b.input('x', f32([1, 2, 4, 4]));
  const before = typed(b.build(f(b, x)));
  return { before, after: fuseOps.run(before, ctx) };
}

/** Each node as its op, a Fused node as `Fused(op, op, …)`. */
const shape = (g: Graph): string[] => g.nodes.map((n: Node) => (isFused(n) ? `Fused(${fusedBody(n).nodes.map((m) => m.op).join(', ')})` : n.op));

async function expectSameResults(g: Graph, out: Graph): Promise<void> {
  const feeds = [ramp([1, 2, 4, 4], 0.2)];
  const [want, got] = [await runGraph(g, feeds), await runGraph(out, feeds)];
  want.forEach((w, k) => expect(allClose(got[k], w)).toBe(true));
}

const conv = (b: GraphBuilder, x: Value): Value => b.node('Conv', [x, b.initializer('w', ramp([2, 2, 3, 3]))], { attrs: attrs({ pads: ints([1, 1, 1, 1]) }) }).outputs[0];

describe('graph.fuseOps', () => {
  it('fuses a Conv with its elementwise epilogue into one kiln::Fused node, leaving an injective reader out', () => {
    // Rule: outEwiseFusable takes elementwise/broadcast readers; a Transpose after them does not
    // join (an epilogue must be elementwise or broadcast). The bias constant moves into the body.
    const { before, after: g } = fused((b, x) => {
      const a = b.node('Add', [conv(b, x), b.initializer('bias', floats([2, 1, 1], [1, -1]))]).outputs[0];
      const r = b.node('Relu', [a]).outputs[0];
      return [b.node('Transpose', [r], { attrs: attrs({ perm: ints([0, 2, 3, 1]) }) }).outputs[0]];
    });
    expect(after(fuseOps, before).replace(/\n.*kiln=1/, '')).toBe(
      lines(
        '%x_0: float32[1, 2, 4, 4] = input',
        '%1: float32[1, 2, 4, 4] = kiln::Fused(%x_0) {pattern="outEwiseFusable"}',
        '  body:',
        '    %x_2: float32[1, 2, 4, 4] = input',
        '    %w_3: float32[2, 2, 3, 3] = const {…}',
        '    %bias_4: float32[2, 1, 1] = const {1, -1}',
        '    %5: float32[1, 2, 4, 4] = Conv(%x_2, %w_3) {pads=[1, 1, 1, 1]}',
        '    %6: float32[1, 2, 4, 4] = Add(%5, %bias_4)',
        '    %7: float32[1, 2, 4, 4] = Relu(%6)',
        '    return %7',
        '%8: float32[1, 4, 4, 2] = Transpose(%1) {perm=[0, 2, 3, 1]}',
        'return %8',
      ),
    );
    expect(g.opsets.get('kiln')).toBe(1);
    return expectSameResults(before, g);
  });

  it('fuses chains of elementwise, broadcast and injective ops', () => {
    // Rule: light ops join the group of their only reader; the group takes the strongest pattern.
    const { before, after: g } = fused((b, x) => {
      const s = b.node('Sigmoid', [x]).outputs[0];
      const t = b.node('Transpose', [s], { attrs: attrs({ perm: ints([0, 1, 3, 2]) }) }).outputs[0];
      return [b.node('Mul', [t, b.initializer('k', floats([1], [3]))]).outputs[0]];
    });
    expect(shape(g)).toEqual(['Fused(Sigmoid, Transpose, Mul)']);
    expect(g.nodes[0].attrs.get('pattern')).toEqual({ kind: 'string', value: 'injective' });
    return expectSameResults(before, g);
  });

  it('fuses a diamond whose readers are all in the group', () => {
    // Rule: r is read by Exp, Neg and Add, all in Mul's group by the time r is reached, so r joins.
    const { before, after: g } = fused((b, x) => {
      const r = b.node('Relu', [x]).outputs[0];
      const e = b.node('Exp', [r]).outputs[0];
      const y = b.node('Add', [r, b.node('Neg', [r]).outputs[0]]).outputs[0];
      return [b.node('Mul', [y, e]).outputs[0]];
    });
    expect(shape(g)).toEqual(['Fused(Relu, Exp, Neg, Add, Mul)']);
    return expectSameResults(before, g);
  });

  it('ends a group at a value that is also a graph output', () => {
    // Rule: e leaves the graph, so Exp cannot be inside Mul's group; then r is read by two
    // groups (Exp's and Mul's) and stays alone too.
    const { before, after: g } = fused((b, x) => {
      const r = b.node('Relu', [x]).outputs[0];
      const e = b.node('Exp', [r]).outputs[0];
      const y = b.node('Add', [r, b.node('Neg', [r]).outputs[0]]).outputs[0];
      return [b.node('Mul', [y, e]).outputs[0], e];
    });
    expect(shape(g)).toEqual(['Relu', 'Exp', 'Fused(Neg, Add, Mul)']);
    return expectSameResults(before, g);
  });

  it('keeps a value read by two groups as the output of its own group', () => {
    // Rule: Relu's readers (two Convs) are in different groups, so Relu stays alone.
    const { after: g } = fused((b, x) => {
      const r = b.node('Relu', [x]).outputs[0];
      return [conv(b, r), b.node('Conv', [r, b.initializer('w2', ramp([2, 2, 1, 1]))]).outputs[0]];
    });
    expect(shape(g)).toEqual(['Relu', 'Conv', 'Conv']);
  });

  it('fuses an injective prologue into a reduction, and the reduction with its epilogue', () => {
    // Rule: Transpose → ReduceSum → Sqrt: the reduction takes Sqrt, then Transpose joins it.
    const { before, after: g } = fused((b, x) => {
      const t = b.node('Transpose', [x], { attrs: attrs({ perm: ints([0, 2, 3, 1]) }) }).outputs[0];
      const s = b.node('ReduceSum', [t, b.initializer('axes', tensorOf('int64', [1], [3]))], { attrs: attrs({ keepdims: int(0) }) }).outputs[0];
      return [b.node('Sqrt', [b.node('Abs', [s]).outputs[0]]).outputs[0]];
    });
    expect(shape(g)).toEqual(['Fused(Transpose, ReduceSum, Abs, Sqrt)']);
    expect(g.nodes[0].attrs.get('pattern')).toEqual({ kind: 'string', value: 'reduction' });
    return expectSameResults(before, g);
  });

  it('fuses a channel shuffle into the depthwise convolution that reads it, not into a full one', () => {
    // Rule: injective producers of a depthwise Conv's data join its group as a prologue (its
    // schedule copies each input channel anyway), and so do light producers of theirs (the
    // Relu); a full Conv reading the same shuffle takes none.
    const shuffle = (b: GraphBuilder, x: Value): Value => {
      const r = b.node('Reshape', [x, b.initializer('s1', tensorOf('int64', [5], [1, 2, 1, 4, 4]))]).outputs[0];
      const t = b.node('Transpose', [r], { attrs: attrs({ perm: ints([0, 2, 1, 3, 4]) }) }).outputs[0];
      return b.node('Reshape', [t, b.initializer('s2', tensorOf('int64', [4], [1, 2, 4, 4]))]).outputs[0];
    };
    const { before, after: g } = fused((b, x) => {
      const w = b.initializer('wd', ramp([2, 1, 3, 3]));
      const dw = b.node('Conv', [shuffle(b, b.node('Relu', [x]).outputs[0]), w], { attrs: attrs({ pads: ints([1, 1, 1, 1]), group: int(2) }) }).outputs[0];
      return [dw, conv(b, shuffle(b, x))];
    });
    expect(shape(g)).toEqual(['Fused(Relu, Reshape, Transpose, Reshape, Conv)', 'Fused(Reshape, Transpose, Reshape)', 'Conv']);
    expect(g.nodes[0].attrs.get('pattern')).toEqual({ kind: 'string', value: 'outEwiseFusable' });
    return expectSameResults(before, g);
  });

  it('never fuses two heavy ops, nor opaque ones', () => {
    // Rule: a Conv cannot join a group that already has one; Shape is opaque.
    const { after: g } = fused((b, x) => {
      const c2 = conv(b, b.node('Relu', [conv(b, x)]).outputs[0]);
      return [c2, b.node('Shape', [b.node('Exp', [x]).outputs[0]]).outputs[0]];
    });
    expect(shape(g)).toEqual(['Fused(Conv, Relu)', 'Conv', 'Exp', 'Shape']);
  });

  it('gives a residual Add to the first Conv only', () => {
    // Rule: Add(Conv1, Conv2) → Relu is Conv1's epilogue; Conv2 cannot join (one heavy op per group).
    const { before, after: g } = fused((b, x) => {
      const main = conv(b, b.node('Relu', [conv(b, x)]).outputs[0]);
      const shortcut = b.node('Conv', [x, b.initializer('ws', ramp([2, 2, 1, 1]))]).outputs[0];
      return [b.node('Relu', [b.node('Add', [main, shortcut]).outputs[0]]).outputs[0]];
    });
    expect(shape(g)).toEqual(['Fused(Conv, Relu)', 'Conv', 'Fused(Conv, Add, Relu)']);
    return expectSameResults(before, g);
  });

  it('leaves a Reshape to a shape computed at run time unfused, and copies constant shapes into bodies', () => {
    // Rule: Reshape(r, Shape(x)) on a symbolic graph: its shape is not constant, so it is opaque;
    // Reshape(s, c) with c also read outside gets a copy of c in its body.
    const b = builder();
    const x = b.input('x', f32(['N', 4]));
    const c = b.initializer('c', tensorOf('int64', [2], [-1, 2]));
    const dyn = b.node('Reshape', [b.node('Relu', [x]).outputs[0], b.node('Shape', [x]).outputs[0]]).outputs[0];
    const fixed = b.node('Reshape', [b.node('Sigmoid', [x]).outputs[0], c]).outputs[0];
    const g = fuseOps.run(typed(b.build([b.node('Exp', [dyn]).outputs[0], b.node('Neg', [fixed]).outputs[0], c])), ctx);
    expect(shape(g)).toEqual(['Relu', 'Shape', 'Reshape', 'Exp', 'Fused(Sigmoid, Reshape, Neg)']);
    const fusedNode = g.nodes[4];
    expect(fusedNode.inputs.map((v) => v?.name)).toEqual(['x']);
    expect(fusedBody(fusedNode).initializers.map((i) => i.value.name)).toEqual(['c']);
  });

  it('keeps a constant also read outside the group as an input of the Fused node', () => {
    // Rule: only constants that the group alone reads move into the body.
    const { before, after: g } = fused((b, x) => {
      const k = b.initializer('k', floats([1], [2]));
      const m = b.node('Mul', [b.node('Exp', [x]).outputs[0], k]).outputs[0];
      const outside = b.node('Add', [b.node('Relu', [x]).outputs[0], k]).outputs[0];
      return [m, outside, k];
    });
    expect(shape(g)).toEqual(['Fused(Exp, Mul)', 'Fused(Relu, Add)']);
    expect(g.nodes[0].inputs.map((v) => v?.name)).toEqual(['x', 'k']);
    expect(fusedBody(g.nodes[0]).initializers).toEqual([]);
    return expectSameResults(before, g);
  });

  it('returns the graph itself when nothing fuses', () => {
    const b = builder();
    const x = b.input('x', f32([2]));
    const g = typed(b.build([b.node('Relu', [x]).outputs[0]]));
    expect(fuseOps.run(g, ctx)).toBe(g);
  });

  it('combines patterns as TVM does', () => {
    // Rule: light joins light or a reduction; heavy ops and reductions join only epilogues.
    expect(combinePatterns('elementwise', 'injective')).toBe('injective');
    expect(combinePatterns('reduction', 'broadcast')).toBe('reduction');
    expect(combinePatterns('broadcast', 'outEwiseFusable')).toBe('outEwiseFusable');
    expect(combinePatterns('injective', 'outEwiseFusable')).toBeNull();
    expect(combinePatterns('outEwiseFusable', 'elementwise')).toBeNull();
    expect(combinePatterns('elementwise', 'opaque')).toBeNull();
  });

  it('fusedBody names a node that is not a Fused node', () => {
    const b = builder();
    const x = b.input('x', f32([2]));
    const n = b.node('Relu', [x], { name: 'r' });
    expect(() => fusedBody(n)).toThrow(GraphPassError);
    expect(() => fusedBody(n)).toThrow('graph.fuseOps: node "r" (Relu): is not a kiln::Fused node');
  });
});
