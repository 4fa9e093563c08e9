import { describe, expect, it } from 'vitest';
import { attrs, float, int, ints } from '../../../src/graph/attrs.js';
import type { GraphBuilder } from '../../../src/graph/builder.js';
import type { Graph, Value } from '../../../src/graph/graph.js';
import { tensorNumbers, tensorOf } from '../../../src/graph/tensor.js';
import { indexGraph } from '../../../src/graph/uses.js';
import { eliminateDeadCode, foldConstants, simplifyAlgebra } from '../../../src/passes/graph/index.js';
import { after, allClose, body, builder, ctx, f32, floats, lines, ramp, typed } from './helpers.js';
import { runGraph } from './interpret.js';

const ops = (g: Graph): string[] => g.nodes.map((n) => n.op);
const simplified = (g: Graph): Graph => simplifyAlgebra.run(typed(g), ctx);

/** x: float32[1, 2, 3, 3] through `f`, as a typed graph. */
function over(f: (b: GraphBuilder, x: Value) => Value[]): Graph {
  const b = builder();
  const x = b.input('x', f32([1, 2, 3, 3]));
  return typed(b.build(f(b, x)));
}

/** Asserts that `g` computes the same outputs after the pipeline's simplify and fold. */
async function expectSameResults(g: Graph, out: Graph): Promise<void> {
  const feeds = g.inputs.map((v) => ramp(v.type!.shape as number[], 0.3));
  const [want, got] = [await runGraph(g, feeds), await runGraph(out, feeds)];
  want.forEach((w, k) => expect(allClose(got[k], w)).toBe(true));
}

describe('graph.simplifyAlgebra: neutral operands and no-op nodes', () => {
  it('removes x·1, 1·x, x+0, x−0, x/1 and Identity', () => {
    // Rule: a constant operand filled with the neutral element that keeps x's type is dropped.
    const g = over((b, x) => {
      const one = b.initializer('one', floats([1], [1]));
      const zero = b.initializer('zero', floats([2, 1, 1], [0, 0]));
      let y = b.node('Mul', [x, one]).outputs[0];
      y = b.node('Mul', [one, y]).outputs[0];
      y = b.node('Add', [zero, y]).outputs[0];
      y = b.node('Sub', [y, zero]).outputs[0];
      y = b.node('Div', [y, one]).outputs[0];
      return [b.node('Identity', [y]).outputs[0]];
    });
    expect(after(simplifyAlgebra, g)).toBe(lines('%x_0: float32[1, 2, 3, 3] = input', 'return %x_0'));
  });

  it('keeps a neutral operand that broadcasts x to a larger shape, or that is not all neutral', () => {
    // Rule: Mul(x[1, 2, 3, 3], ones[2, 2, 3, 3]) is [2, 2, 3, 3]; 0−x and x·[1, 2] are not no-ops.
    const g = over((b, x) => {
      const big = b.node('Mul', [x, b.initializer('ones', floats([2, 1, 1, 1], [1, 1]))]).outputs[0];
      const neg = b.node('Sub', [b.initializer('z', floats([1], [0])), x]).outputs[0];
      const scaled = b.node('Mul', [x, b.initializer('s', floats([2, 1, 1], [1, 2]))]).outputs[0];
      return [big, neg, scaled];
    });
    expect(ops(simplified(g))).toEqual(['Mul', 'Sub', 'Mul']);
  });

  it('removes an inference Dropout unless its mask is read', () => {
    // Rule: Dropout is the identity on its first output; a read mask keeps the node.
    const g = over((b, x) => {
      const d1 = b.node('Dropout', [x]).outputs[0];
      const d2 = b.node('Dropout', [d1], { outputs: 2 });
      return [d2.outputs[0], d2.outputs[1]];
    });
    expect(ops(simplified(g))).toEqual(['Dropout']);
    expect(simplified(g).nodes[0].inputs[0]).toBe(g.inputs[0]);
  });

  it('recognizes x·HardSigmoid(x) with alpha 1/6 and beta 0.5 as HardSwish', () => {
    // Rule: x·max(0, min(1, x/6 + 0.5)) is HardSwish(x); either operand order.
    const g = over((b, x) => {
      const h = b.node('HardSigmoid', [x], { attrs: attrs({ alpha: float(1 / 6), beta: float(0.5) }) }).outputs[0];
      const other = b.node('HardSigmoid', [x], { attrs: attrs({ alpha: float(0.2), beta: float(0.5) }) }).outputs[0];
      return [b.node('Mul', [h, x]).outputs[0], b.node('Mul', [x, other]).outputs[0]];
    });
    const s = simplified(g);
    expect(ops(s)).toEqual(['HardSigmoid', 'HardSwish', 'Mul']);
    return expectSameResults(g, s);
  });
});

describe('graph.simplifyAlgebra: layout chains', () => {
  it('composes transposes, removing them when the composition is the identity', () => {
    // Rule: Transpose(Transpose(x, p), q) = Transpose(x, p∘q) with (p∘q)[i] = p[q[i]].
    const g = over((b, x) => {
      const t1 = b.node('Transpose', [x], { attrs: attrs({ perm: ints([0, 2, 3, 1]) }) }).outputs[0];
      const t2 = b.node('Transpose', [t1], { attrs: attrs({ perm: ints([0, 3, 1, 2]) }) }).outputs[0];
      const t3 = b.node('Transpose', [t1], { attrs: attrs({ perm: ints([1, 0, 2, 3]) }) }).outputs[0];
      return [t2, t3];
    });
    const s = simplified(g);
    expect(body(s)).toBe(
      lines(
        '%x_0: float32[1, 2, 3, 3] = input',
        '%1: float32[3, 1, 3, 2] = Transpose(%x_0) {perm=[2, 0, 3, 1]}',
        'return %x_0, %1',
      ),
    );
    return expectSameResults(g, s);
  });

  it('turns Squeeze, Unsqueeze and Flatten with static shapes into Reshapes, and merges Reshape chains', () => {
    // Rule: each becomes Reshape(x, its static output shape); Reshape∘Reshape keeps the outer
    // shape; a Reshape to x's own type is x.
    const g = over((b, x) => {
      const u = b.node('Unsqueeze', [x, b.initializer('axes', tensorOf('int64', [1], [0]))]).outputs[0];
      const s = b.node('Squeeze', [u, b.initializer('axes0', tensorOf('int64', [1], [0]))]).outputs[0];
      const f = b.node('Flatten', [s], { attrs: attrs({ axis: int(2) }) }).outputs[0];
      const back = b.node('Reshape', [f, b.initializer('shape', tensorOf('int64', [4], [1, 2, 3, 3]))]).outputs[0];
      return [f, back];
    });
    expect(after(simplifyAlgebra, g)).toBe(
      lines(
        '%x_0: float32[1, 2, 3, 3] = input',
        '%1: int64[2] = const {2, 9}',
        '%2: float32[2, 9] = Reshape(%x_0, %1)',
        'return %2, %x_0',
      ),
    );
  });

  it('keeps a Reshape∘Reshape whose outer shape copies a symbolic dim with 0', () => {
    // Rule: a 0 copies a dim of the inner result, which x does not have at that position.
    const b = builder();
    const x = b.input('x', f32(['N', 6]));
    const r1 = b.node('Reshape', [x, b.initializer('s1', tensorOf('int64', [3], [0, 2, 3]))]).outputs[0];
    const r2 = b.node('Reshape', [r1, b.initializer('s2', tensorOf('int64', [2], [0, -1]))]).outputs[0];
    expect(ops(simplified(b.build([r2])))).toEqual(['Reshape', 'Reshape']);
  });

  it('merges a symbolic Reshape chain when the outer shape has no 0', () => {
    const b = builder();
    const x = b.input('x', f32(['N', 6]));
    const r1 = b.node('Reshape', [x, b.initializer('s1', tensorOf('int64', [3], [-1, 2, 3]))]).outputs[0];
    const r2 = b.node('Reshape', [r1, b.initializer('s2', tensorOf('int64', [2], [-1, 3]))]).outputs[0];
    const s = simplified(b.build([r2]));
    expect(ops(s)).toEqual(['Reshape']);
    expect(s.nodes[0].inputs[0]).toBe(s.inputs[0]);
  });
});

/** x → Conv(x, W[3, 2, 1, 1], bias?) → `tail`; the pads keep the spatial size. */
function convThen(bias: boolean, tail: (b: GraphBuilder, c: Value) => Value[]): Graph {
  return over((b, x) => {
    const w = b.initializer('w', ramp([3, 2, 1, 1]));
    const inputs = bias ? [x, w, b.initializer('bias', floats([3], [0.5, -1, 2]))] : [x, w];
    const c = b.node('Conv', inputs, { name: 'conv', outputs: [{ name: 'c' }] }).outputs[0];
    return tail(b, c);
  });
}

/** simplify, then fold the weights the rules emitted (as the pipeline does). */
const simplifyAndFold = (g: Graph): Graph => foldConstants.run(simplified(g), ctx);

describe('graph.simplifyAlgebra: per-channel affine maps into Conv', () => {
  it('folds Mul by a per-channel constant into the weights and bias', () => {
    // Rule: Conv(x, W, b)·c = Conv(x, W·c, b·c) for c of shape [3, 1, 1].
    const g = convThen(true, (b, c) => [b.node('Mul', [c, b.initializer('k', floats([3, 1, 1], [2, 3, 4]))]).outputs[0]]);
    const s = simplified(g);
    expect(body(s)).toBe(
      lines(
        '%x_0: float32[1, 2, 3, 3] = input',
        '%w_1: float32[3, 2, 1, 1] = const {-1, 0.75, -0.25, 1.5, 0.5, -0.5}',
        '%bias_2: float32[3] = const {0.5, -1, 2}',
        '%k_3: float32[3, 1, 1] = const {2, 3, 4}',
        '%4: int64[4] = const {3, 1, 1, 1}',
        '%5: int64[1] = const {3}',
        '%6: float32[3, 1, 1, 1] = Reshape(%k_3, %4)',
        '%7: float32[3, 2, 1, 1] = Mul(%w_1, %6)',
        '%8: float32[3] = Reshape(%k_3, %5)',
        '%9: float32[3] = Mul(%bias_2, %8)',
        '%10: float32[1, 3, 3, 3] = Conv(%x_0, %7, %9)',
        'return %10',
      ),
    );
    return expectSameResults(g, foldConstants.run(s, ctx));
  });

  it('folds Add of a scalar-like constant into the bias, making one when the Conv has none', () => {
    // Rule: Conv(x, W) + c = Conv(x, W, 0 + c) for c of shape [1].
    const g = convThen(false, (b, c) => [b.node('Add', [b.initializer('t', floats([1], [0.25])), c]).outputs[0]]);
    const s = simplifyAndFold(g);
    expect(ops(s)).toEqual(['Conv']);
    expect(tensorNumbers(indexGraph(s).constant(s.nodes[0].inputs[2]!)!)).toEqual([0.25, 0.25, 0.25]);
    return expectSameResults(g, s);
  });

  it('chains: Mul then Add both fold, the second in the next sweep', () => {
    const g = convThen(true, (b, c) => {
      const m = b.node('Mul', [c, b.initializer('k', floats([1, 3, 1, 1], [2, -1, 0.5]))]).outputs[0];
      return [b.node('Add', [m, b.initializer('t', floats([3, 1, 1], [1, 2, 3]))]).outputs[0]];
    });
    const s = simplifyAndFold(g);
    expect(ops(s)).toEqual(['Conv']);
    return expectSameResults(g, s);
  });

  it('keeps the Conv when its output has another reader or is a graph output', () => {
    // Rule: rewriting the weights would change what the other reader sees.
    const twice = convThen(true, (b, c) => [b.node('Mul', [c, b.initializer('k', floats([3, 1, 1], [2, 3, 4]))]).outputs[0], b.node('Relu', [c]).outputs[0]]);
    expect(ops(simplified(twice))).toEqual(['Conv', 'Mul', 'Relu']);
    const exposed = convThen(true, (b, c) => [b.node('Mul', [c, b.initializer('k', floats([3, 1, 1], [2, 3, 4]))]).outputs[0], c]);
    expect(ops(simplified(exposed))).toEqual(['Conv', 'Mul']);
  });

  it('keeps constants that vary along other axes than the channel', () => {
    // Rule: c of shape [1, 3, 3] scales spatial positions, which weights cannot express.
    const g = convThen(true, (b, c) => [b.node('Mul', [c, b.initializer('k', ramp([1, 3, 3]))]).outputs[0]]);
    expect(ops(simplified(g))).toEqual(['Conv', 'Mul']);
  });

  it('keeps a Conv whose weights are a run-time value', () => {
    const b = builder();
    const x = b.input('x', f32([1, 2, 3, 3]));
    const w = b.input('w', f32([3, 2, 1, 1]));
    const c = b.node('Conv', [x, w]).outputs[0];
    const g = typed(b.build([b.node('Mul', [c, b.initializer('k', floats([1], [2]))]).outputs[0]]));
    expect(ops(simplified(g))).toEqual(['Conv', 'Mul']);
  });
});

/** BatchNormalization's four constant operands for 3 channels. */
function bnParams(b: GraphBuilder) {
  return [
    b.initializer('scale', floats([3], [1, 2, -0.5])),
    b.initializer('shift', floats([3], [0.1, 0, -0.3])),
    b.initializer('mean', floats([3], [0.5, -1, 0])),
    b.initializer('var', floats([3], [1, 0.25, 4])),
  ];
}

describe('graph.simplifyAlgebra: BatchNormalization', () => {
  it('folds an inference BatchNorm into the preceding Conv', () => {
    // Rule: f = scale/sqrt(var + ε); W' = W·f, b' = (b − mean)·f + B, emitted as constant nodes.
    const g = convThen(true, (b, c) => [b.node('BatchNormalization', [c, ...bnParams(b)], { attrs: attrs({ epsilon: float(1e-3) }) }).outputs[0]]);
    const s = simplified(g);
    expect(ops(s)).toEqual(['Add', 'Sqrt', 'Div', 'Reshape', 'Mul', 'Sub', 'Mul', 'Add', 'Conv']);
    const folded = foldConstants.run(s, ctx);
    expect(ops(folded)).toEqual(['Conv']);
    return expectSameResults(g, folded);
  });

  it('folds a BatchNorm into a Conv without bias', () => {
    const g = convThen(false, (b, c) => [b.node('BatchNormalization', [c, ...bnParams(b)]).outputs[0]]);
    const s = simplifyAndFold(g);
    expect(ops(s)).toEqual(['Conv']);
    return expectSameResults(g, s);
  });

  it('turns a BatchNorm without a Conv into Mul and Add by per-channel constants', () => {
    // Rule: BN(x) = x·f + (B − mean·f), f and the shift reshaped to [C, 1, 1]; here
    // f = scale/sqrt(var + 0.5) = [1/√1.5, 2/√0.75, −0.5/√4.5].
    const bn = (shape: (number | string)[]): Graph => {
      const b = builder();
      const x = b.input('x', f32(shape));
      return typed(b.build([b.node('BatchNormalization', [x, ...bnParams(b)], { attrs: attrs({ epsilon: float(0.5) }) }).outputs[0]]));
    };
    expect(after(eliminateDeadCode, simplifyAndFold(bn(['N', 3, 2, 2])))).toBe(
      lines(
        '%x_0: float32[N, 3, 2, 2] = input',
        '%1: float32[3, 1, 1] = const {0.81649655, 2.309401, -0.23570228}',
        '%2: float32[3, 1, 1] = const {-0.30824828, 2.309401, -0.3}',
        '%3: float32[N, 3, 2, 2] = Mul(%x_0, %1)',
        '%4: float32[N, 3, 2, 2] = Add(%3, %2)',
        'return %4',
      ),
    );
    const g = bn([2, 3, 2, 2]);
    return expectSameResults(g, simplifyAndFold(g));
  });

  it('keeps a training-mode BatchNorm', () => {
    const g = convThen(true, (b, c) => [b.node('BatchNormalization', [c, ...bnParams(b)], { attrs: attrs({ training_mode: int(1) }) }).outputs[0]]);
    expect(ops(simplified(g))).toEqual(['Conv', 'BatchNormalization']);
  });
});
