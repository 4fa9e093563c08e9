import { describe, expect, it } from 'vitest';
import { attrs, int, ints, tensor } from '../../../src/graph/attrs.js';
import { tensorNumbers, tensorOf, zeros } from '../../../src/graph/tensor.js';
import { indexGraph } from '../../../src/graph/uses.js';
import { FOLD_MAX_ELEMENTS, GraphPassError, foldConstants } from '../../../src/passes/graph/index.js';
import { after, builder, ctx, f32, floats, lines, typed } from './helpers.js';

describe('graph.foldConstants', () => {
  it('evaluates a node over constants and keeps nodes that read a run-time value', () => {
    // Rule: Mul(a, a) reads only constants → an initializer; Add(x, b) reads x → stays.
    const b = builder();
    const x = b.input('x', f32([2]));
    const a = b.initializer('a', floats([2], [1, 2]));
    const sq = b.node('Mul', [a, a], { outputs: [{ name: 'sq' }] }).outputs[0];
    const y = b.node('Add', [x, sq], { outputs: [{ name: 'y' }] }).outputs[0];
    expect(after(foldConstants, typed(b.build([y])))).toBe(
      lines(
        '%x_0: float32[2] = input',
        '%a_1: float32[2] = const {1, 2}',
        '%sq_2: float32[2] = const {1, 4}',
        '%y_3: float32[2] = Add(%x_0, %sq_2)',
        'return %y_3',
      ),
    );
  });

  it('evaluates through the ops\' own computes (transcendental, int64, bool results)', () => {
    // Rule: the folded values are what the op's kernel computes.
    const b = builder();
    const v = b.initializer('v', floats([3], [-2, 0, 3]));
    const s = b.node('Sigmoid', [v]).outputs[0];
    const i = b.initializer('i', tensorOf('int64', [2], [7, -3]));
    const m = b.node('Mul', [i, i]).outputs[0];
    const gt = b.node('Greater', [v, b.initializer('z', floats([1], [0]))]).outputs[0];
    const g = foldConstants.run(typed(b.build([s, m, gt])), ctx);
    expect(g.nodes).toEqual([]);
    const [ts, tm, tg] = g.outputs.map((o) => indexGraph(g).constant(o)!);
    tensorNumbers(ts).forEach((y, k) => expect(y).toBeCloseTo(1 / (1 + Math.exp(-[-2, 0, 3][k])), 6));
    expect(tm.dtype).toBe('int64');
    expect(tensorNumbers(tm)).toEqual([49, 9]);
    expect(tg.dtype).toBe('bool');
    expect(tensorNumbers(tg)).toEqual([0, 0, 1]);
  });

  it('folds a Shape → Gather → Concat → Reshape chain once the input shape is static', () => {
    // Rule: Shape reads only its input's (static) shape; each later node then reads constants,
    // and the Reshape is re-inferred with its now-constant shape.
    const b = builder();
    const x = b.input('x', f32([2, 3, 4]));
    const shape = b.node('Shape', [x]).outputs[0];
    const first = b.node('Gather', [shape, b.initializer('i0', tensorOf('int64', [1], [0]))], { attrs: attrs({ axis: int(0) }) }).outputs[0];
    const dims = b.node('Concat', [first, b.initializer('m1', tensorOf('int64', [1], [-1]))], { attrs: attrs({ axis: int(0) }) }).outputs[0];
    const y = b.node('Reshape', [x, dims], { outputs: [{ name: 'y' }] }).outputs[0];
    const g = typed(b.build([y]));
    expect(g.outputs[0].type?.shape[1]).toMatch(/^\?/);
    expect(after(foldConstants, g)).toBe(
      lines(
        '%x_0: float32[2, 3, 4] = input',
        '%i0_1: int64[1] = const {0}',
        '%m1_2: int64[1] = const {-1}',
        '%3: int64[3] = const {2, 3, 4}',
        '%4: int64[1] = const {2}',
        '%5: int64[2] = const {2, -1}',
        '%y_6: float32[2, 12] = Reshape(%x_0, %5)',
        'return %y_6',
      ),
    );
  });

  it('leaves Shape of a symbolic shape alone', () => {
    const b = builder();
    const x = b.input('x', f32(['N', 3]));
    const g = typed(b.build([b.node('Shape', [x]).outputs[0]]));
    expect(foldConstants.run(g, ctx).nodes).toHaveLength(1);
  });

  it('turns Constant nodes into initializers', () => {
    // Rule: a Constant is data; its value attribute becomes the initializer.
    const b = builder();
    const c = b.node('Constant', [], { attrs: attrs({ value: tensor(floats([2], [5, 6])) }), outputs: [{ name: 'c' }] }).outputs[0];
    const d = b.node('Constant', [], { attrs: attrs({ value_ints: ints([1, 2, 3]) }) }).outputs[0];
    expect(after(foldConstants, typed(b.build([c, d])))).toBe(lines('%c_0: float32[2] = const {5, 6}', '%1: int64[3] = const {1, 2, 3}', 'return %c_0, %1'));
  });

  it('keeps an output above the size limit that would grow the constants, unless its inputs are small', () => {
    // Rule: Add(a[2048, 1], b[1, 600]) would make 1.2M elements out of 2648: it stays. Mul of a
    // large constant by a scalar is no larger than what it reads: folded. ConstantOfShape reads
    // one small input (a generator): folded.
    const n = FOLD_MAX_ELEMENTS + 1;
    const b = builder();
    const sum = b.node('Add', [b.initializer('a', zeros('float32', [2048, 1])), b.initializer('b', zeros('float32', [1, 600]))]).outputs[0];
    const scaled = b.node('Mul', [b.initializer('big', zeros('float32', [n])), b.initializer('two', floats([], [2]))]).outputs[0];
    const shape = b.initializer('shape', tensorOf('int64', [1], [n]));
    const filled = b.node('ConstantOfShape', [shape], { attrs: attrs({ value: tensor(floats([1], [2])) }) }).outputs[0];
    const g = foldConstants.run(typed(b.build([sum, scaled, filled])), ctx);
    expect(g.nodes.map((x) => x.op)).toEqual(['Add']);
    const t = indexGraph(g).constant(g.outputs[2])!;
    expect(t.data.length).toBe(n);
    expect(t.data[0]).toBe(2);
    expect(t.data[n - 1]).toBe(2);
  });

  it('names a Constant node without a supported value', () => {
    const b = builder();
    const c = b.node('Constant', [], { name: 'c', attrs: attrs({ sparse_value: int(1) }) }).outputs[0];
    const g = b.build([c]);
    expect(() => foldConstants.run(g, ctx)).toThrow(GraphPassError);
    expect(() => foldConstants.run(g, ctx)).toThrow('graph.foldConstants: node "c" (Constant): has no value attribute kiln supports');
  });
});
