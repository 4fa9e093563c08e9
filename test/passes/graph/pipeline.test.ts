import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpError } from '../../../src/ops/index.js';
import { makePassContext } from '../../../src/passes/pass.js';
import { graphPipeline, isFused, optimizeGraph } from '../../../src/passes/graph/index.js';
import { allClose, body, builder, ctx, f32, lines, ramp } from './helpers.js';
import { runGraph } from './interpret.js';
import { STEP_KINDS, randomGraph } from './random.js';

describe('graph pipeline', () => {
  it('lists the passes in order', () => {
    expect(graphPipeline.map((p) => p.name)).toEqual([
      'graph.inferTypes',
      'graph.foldConstants',
      'graph.eliminateCommonSubexpressions',
      'graph.simplifyAlgebra',
      'graph.decomposeConvTranspose',
      'graph.foldConstants',
      'graph.eliminateCommonSubexpressions',
      'graph.eliminateDeadCode',
      'graph.convertLayout',
      'graph.foldConstants',
      'graph.eliminateDeadCode',
      'graph.fuseOps',
    ]);
  });

  it('optimizes a small model end to end and dumps the graph after each pass', () => {
    // Rule: Identity goes, x·1 goes, the Shape-driven Reshape is the identity once folded, and
    // Relu·Sigmoid fuse; every pass that ran is dumped.
    const b = builder();
    const x = b.input('x', f32(['N', 4]));
    const i = b.node('Identity', [x]).outputs[0];
    const m = b.node('Mul', [i, b.initializer('one', ramp([1], 0, 2))]).outputs[0];
    const r = b.node('Relu', [m]).outputs[0];
    const y = b.node('Reshape', [r, b.node('Shape', [r]).outputs[0]]).outputs[0];
    const dumped: string[] = [];
    const g = optimizeGraph(b.build([b.node('Sigmoid', [y]).outputs[0]]), makePassContext({}, (name) => dumped.push(name)), { inputShapes: new Map([['x', [3, 4]]]) });
    expect(body(g)).toBe(
      lines(
        '%x_0: float32[3, 4] = input',
        '%1: float32[3, 4] = kiln::Fused(%x_0) {pattern="elementwise"}',
        '  body:',
        '    %x_2: float32[3, 4] = input',
        '    %3: float32[3, 4] = Relu(%x_2)',
        '    %4: float32[3, 4] = Sigmoid(%3)',
        '    return %4',
        'return %1',
      ),
    );
    expect(dumped).toEqual(graphPipeline.map((p) => p.name));
  });

  it('skips disabled passes', () => {
    const b = builder();
    const x = b.input('x', f32([2]));
    const g = b.build([b.node('Relu', [b.node('Identity', [x]).outputs[0]]).outputs[0]]);
    const out = optimizeGraph(g, makePassContext({ disabled: ['graph.simplifyAlgebra', 'graph.fuseOps'] }));
    expect(out.nodes.map((n) => n.op)).toEqual(['Identity', 'Relu']);
  });

  it('fails with the op error naming a node whose op is unknown', () => {
    const b = builder();
    const x = b.input('x', f32([2]));
    const g = b.build([b.node('NoSuchOp', [x], { name: 'mystery' }).outputs[0]]);
    expect(() => optimizeGraph(g, ctx)).toThrow(OpError);
    expect(() => optimizeGraph(g, ctx)).toThrow('node "mystery" (NoSuchOp): unknown op "NoSuchOp"');
  });

  it('computes the same outputs as the unoptimized graph (random graphs)', async () => {
    // Property: for random chains of Add/Mul/Relu/Sigmoid/Conv/BatchNorm/Reshape/Transpose/…
    // with constants, the optimized graph (specialized or symbolic) gives the same numbers.
    const step = fc.record({ kind: fc.nat(STEP_KINDS - 1), a: fc.nat(255), b: fc.nat(255) });
    let fusedSeen = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), fc.nat(1 << 16), fc.boolean(), async (steps, seed, symbolic) => {
        const { graph, shape } = randomGraph(steps, seed, symbolic);
        const opts = symbolic && seed % 2 === 0 ? {} : { inputShapes: new Map([['x', [...shape]]]) };
        const optimized = optimizeGraph(graph, ctx, opts);
        fusedSeen += optimized.nodes.filter(isFused).length;
        const feeds = [ramp(shape, 0.125, seed % 3)];
        const [want, got] = [await runGraph(graph, feeds), await runGraph(optimized, feeds)];
        expect(got.length).toBe(want.length);
        want.forEach((w, k) => expect(allClose(got[k], w, 1e-4, 1e-4), `output ${k}`).toBe(true));
      }),
      { numRuns: 30, seed: 42 },
    );
    expect(fusedSeen).toBeGreaterThan(0);
  });
});
