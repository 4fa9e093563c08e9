import { describe, expect, it } from 'vitest';
import { attrs, float, int } from '../../../src/graph/attrs.js';
import { eliminateCommonSubexpressions, eliminateDeadCode } from '../../../src/passes/graph/index.js';
import { after, builder, ctx, f32, floats, lines } from './helpers.js';

const cse = (g: Parameters<typeof eliminateCommonSubexpressions.run>[0]) => eliminateDeadCode.run(eliminateCommonSubexpressions.run(g, ctx), ctx);

describe('graph.eliminateCommonSubexpressions', () => {
  it('merges equal constants, then nodes with the same op, inputs and attributes', () => {
    // Rule: c2 equals c1, so Mul(x, c2) equals Mul(x, c1) and reads of %b read %a.
    const b = builder();
    const x = b.input('x', f32([2]));
    const c1 = b.initializer('c1', floats([1], [2]));
    const c2 = b.initializer('c2', floats([1], [2]));
    const a = b.node('Mul', [x, c1], { outputs: [{ name: 'a' }] }).outputs[0];
    const m = b.node('Mul', [x, c2], { outputs: [{ name: 'b' }] }).outputs[0];
    const y = b.node('Add', [a, m], { outputs: [{ name: 'y' }] }).outputs[0];
    expect(after(eliminateCommonSubexpressions, b.build([y]))).toBe(
      lines('%x_0: float32[2] = input', '%c1_1: float32[1] = const {2}', '%a_2 = Mul(%x_0, %c1_1)', '%y_3 = Add(%a_2, %a_2)', 'return %y_3'),
    );
  });

  it('merges chains: once the first nodes merge, their readers become equal', () => {
    // Rule: Relu(x) twice, then Exp of each: both pairs merge in one walk.
    const b = builder();
    const x = b.input('x', f32([2]));
    const e1 = b.node('Exp', [b.node('Relu', [x]).outputs[0]]).outputs[0];
    const e2 = b.node('Exp', [b.node('Relu', [x]).outputs[0]]).outputs[0];
    const g = cse(b.build([b.node('Add', [e1, e2]).outputs[0]]));
    expect(g.nodes.map((n) => n.op)).toEqual(['Relu', 'Exp', 'Add']);
  });

  it('keeps nodes whose attributes differ', () => {
    // Rule: LeakyRelu alpha 0.1 and 0.2 compute different values.
    const b = builder();
    const x = b.input('x', f32([2]));
    const l1 = b.node('LeakyRelu', [x], { attrs: attrs({ alpha: float(0.1) }) }).outputs[0];
    const l2 = b.node('LeakyRelu', [x], { attrs: attrs({ alpha: float(0.2) }) }).outputs[0];
    expect(cse(b.build([l1, l2])).nodes).toHaveLength(2);
  });

  it('merges nodes whose attributes are equal but listed in another order', () => {
    const b = builder();
    const x = b.input('x', f32([2, 3]));
    const a1 = new Map([['axis', int(1)], ['keepdims', int(0)]]);
    const a2 = new Map([['keepdims', int(0)], ['axis', int(1)]]);
    const r1 = b.node('ArgMax', [x], { attrs: a1 }).outputs[0];
    const r2 = b.node('ArgMax', [x], { attrs: a2 }).outputs[0];
    expect(cse(b.build([r1, r2])).nodes).toHaveLength(1);
  });

  it('keeps 0 and -0 constants apart', () => {
    // Rule: constants merge by their bytes: x + (-0) keeps x's sign, x + 0 turns -0 into 0.
    const b = builder();
    const x = b.input('x', f32([1]));
    const p = b.node('Add', [x, b.initializer('p', floats([1], [0]))]).outputs[0];
    const n = b.node('Add', [x, b.initializer('n', floats([1], [-0]))]).outputs[0];
    expect(cse(b.build([p, n])).nodes).toHaveLength(2);
  });

  it('never merges nodes of ops it does not know (they may not be deterministic)', () => {
    const b = builder();
    const x = b.input('x', f32([2]));
    const r1 = b.node('RandomUniformLike', [x]).outputs[0];
    const r2 = b.node('RandomUniformLike', [x]).outputs[0];
    const g = b.build([r1, r2]);
    expect(eliminateCommonSubexpressions.run(g, ctx)).toBe(g);
  });
});
