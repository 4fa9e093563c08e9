import { describe, expect, it } from 'vitest';
import { graph as graphAttr } from '../../../src/graph/attrs.js';
import { attrs } from '../../../src/graph/attrs.js';
import { GraphBuilder } from '../../../src/graph/builder.js';
import { eliminateDeadCode } from '../../../src/passes/graph/index.js';
import { OPSETS, after, builder, ctx, f32, floats, lines } from './helpers.js';

describe('graph.eliminateDeadCode', () => {
  it('drops nodes that reach no output and initializers nothing reads, keeping every input', () => {
    // Rule: Add(x, c) is unread, so it and c go; the unread input y stays (the interface).
    const b = builder();
    const x = b.input('x', f32([2]));
    b.input('y', f32([2]));
    const c = b.initializer('c', floats([2], [1, 2]));
    const a = b.node('Relu', [x], { outputs: [{ name: 'a' }] }).outputs[0];
    b.node('Add', [x, c]);
    expect(after(eliminateDeadCode, b.build([a]))).toBe(lines('%x_0: float32[2] = input', '%y_1: float32[2] = input', '%a_2 = Relu(%x_0)', 'return %a_2'));
  });

  it('drops whole dead chains, last reader first', () => {
    // Rule: Sigmoid reads Exp's output, but nothing reads Sigmoid's: both go.
    const b = builder();
    const x = b.input('x', f32([2]));
    const e = b.node('Exp', [x]).outputs[0];
    b.node('Sigmoid', [e]);
    expect(eliminateDeadCode.run(b.build([x]), ctx).nodes).toEqual([]);
  });

  it('keeps a node whose output a subgraph captures', () => {
    // Rule: the If branch reads %r from the enclosing graph, so Relu is live.
    const b = builder();
    const cond = b.input('c', null);
    const x = b.input('x', f32([2]));
    const r = b.node('Relu', [x], { outputs: [{ name: 'r' }] }).outputs[0];
    const branch = new GraphBuilder(OPSETS);
    const inner = branch.node('Neg', [r]).outputs[0];
    const iff = b.node('If', [cond], { attrs: attrs({ then_branch: graphAttr(branch.buildSubgraph([inner])) }) }).outputs[0];
    const g = b.build([iff]);
    expect(eliminateDeadCode.run(g, ctx)).toBe(g);
  });

  it('returns the graph itself when nothing is dead', () => {
    const b = builder();
    const x = b.input('x', f32([2]));
    const g = b.build([b.node('Relu', [x]).outputs[0]]);
    expect(eliminateDeadCode.run(g, ctx)).toBe(g);
  });
});
