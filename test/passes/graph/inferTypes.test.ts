import { describe, expect, it } from 'vitest';
import { attrs, int, ints } from '../../../src/graph/attrs.js';
import { tensorOf } from '../../../src/graph/tensor.js';
import { tensorType } from '../../../src/graph/types.js';
import { OpError } from '../../../src/ops/index.js';
import { GraphPassError, fuseOps, inferTypes, specializeInputs } from '../../../src/passes/graph/index.js';
import { after, body, builder, ctx, f32, lines } from './helpers.js';

/** x: [N, 3] → Relu → Reshape(·, [0, 3, 1]), the shape a constant. */
function reluReshape() {
  const b = builder();
  const x = b.input('x', f32(['N', 3]));
  const r = b.node('Relu', [x], { outputs: [{ name: 'r' }] }).outputs[0];
  const s = b.initializer('s', tensorOf('int64', [3], [0, 3, 1]));
  const y = b.node('Reshape', [r, s], { outputs: [{ name: 'y' }] }).outputs[0];
  return b.build([y]);
}

describe('graph.inferTypes', () => {
  it('types every output from its op, keeping symbolic dims', () => {
    // Rule: Relu keeps its input type; Reshape's 0 copies the symbolic dim N.
    expect(after(inferTypes, reluReshape())).toBe(
      lines(
        '%x_0: float32[N, 3] = input',
        '%s_1: int64[3] = const {0, 3, 1}',
        '%r_2: float32[N, 3] = Relu(%x_0)',
        '%y_3: float32[N, 3, 1] = Reshape(%r_2, %s_1)',
        'return %y_3',
      ),
    );
  });

  it('specializes: given input shapes bind the symbols, and re-inference makes every type concrete', () => {
    // Rule: x = [2, 3] binds N = 2; inferTypes then retypes every value.
    const g = inferTypes.run(specializeInputs(inferTypes.run(reluReshape(), ctx), new Map([['x', [2, 3]]])), ctx);
    expect(body(g)).toContain('%y_3: float32[2, 3, 1] = Reshape(%r_2, %s_1)');
  });

  it('binds a symbol in every input that shares it', () => {
    // Rule: inputs a[N, 4] and b[N] share N; specializing a to [5, 4] makes b [5].
    const b = builder();
    const a = b.input('a', f32(['N', 4]));
    const c = b.input('b', f32(['N']));
    const g = specializeInputs(b.build([a, c]), new Map([['a', [5, 4]]]));
    expect(g.inputs.map((v) => v.type)).toEqual([f32([5, 4]), f32([5])]);
  });

  it('keeps the fresh symbols of unknown dims when run again', () => {
    // Rule: re-inference of an unchanged graph gives back the same printed graph.
    const b = builder();
    const x = b.input('x', f32(['N', 3, 'H', 'W']));
    const p = b.node('MaxPool', [x], { attrs: attrs({ kernel_shape: ints([2, 2]), strides: ints([2, 2]) }) }).outputs[0];
    const once = inferTypes.run(b.build([p]), ctx);
    expect(inferTypes.run(once, ctx)).toBe(once);
  });

  it('types a Fused body for new input shapes', () => {
    // Rule: a Fused node's outputs take the types its body infers for the node's inputs.
    const sym = inferTypes.run(
      (() => {
        const b = builder();
        const x = b.input('x', f32(['N', 2]));
        const r = b.node('Relu', [x]).outputs[0];
        return b.build([b.node('Sigmoid', [r]).outputs[0]]);
      })(),
      ctx,
    );
    const fused = fuseOps.run(sym, ctx);
    const g = inferTypes.run(specializeInputs(fused, new Map([['x', [4, 2]]])), ctx);
    expect(body(g)).toBe(
      lines(
        '%x_0: float32[4, 2] = input',
        '%1: float32[4, 2] = kiln::Fused(%x_0) {pattern="elementwise"}',
        '  body:',
        '    %x_2: float32[4, 2] = input',
        '    %3: float32[4, 2] = Relu(%x_2)',
        '    %4: float32[4, 2] = Sigmoid(%3)',
        '    return %4',
        'return %1',
      ),
    );
  });

  it('raises the op library error naming a node whose op is unknown', () => {
    const b = builder();
    const x = b.input('x', f32([2]));
    b.node('Frobnicate', [x], { name: 'bad' });
    const g = b.build([x]);
    expect(() => inferTypes.run(g, ctx)).toThrow(OpError);
    expect(() => inferTypes.run(g, ctx)).toThrow('node "bad" (Frobnicate): unknown op "Frobnicate"');
  });

  it('raises the op error naming a node with a bad attribute', () => {
    const b = builder();
    const x = b.input('x', f32([2, 3]));
    b.node('Flatten', [x], { name: 'flat', attrs: attrs({ axis: int(7) }) });
    expect(() => inferTypes.run(b.build([x]), ctx)).toThrow(/node "flat" \(Flatten\)/);
  });

  describe('specializeInputs errors name the input', () => {
    const g = () => {
      const b = builder();
      const x = b.input('x', f32(['N', 3]));
      const y = b.input('y', f32(['N']));
      return b.build([x, y]);
    };
    const cases: [string, [string, number[]][], string][] = [
      ['an input that does not exist', [['z', [1]]], 'graph.inferTypes: graph input "z": does not exist'],
      ['a rank that differs', [['x', [2]]], 'graph.inferTypes: graph input "x": has rank 2, the given shape [2] rank 1'],
      ['a concrete dim that differs', [['x', [2, 4]]], 'graph.inferTypes: graph input "x": dim 1 is 3, the given shape has 4'],
      ['a symbol bound twice', [['x', [2, 3]], ['y', [5]]], 'graph.inferTypes: graph input "y": dim 0 is "N" = 2, the given shape has 5'],
      ['a negative dim', [['x', [-1, 3]]], 'graph.inferTypes: graph input "x": given shape [-1, 3] has a bad dim -1'],
    ];
    it.each(cases)('%s', (_, shapes, message) => {
      expect(() => specializeInputs(g(), new Map(shapes))).toThrow(GraphPassError);
      expect(() => specializeInputs(g(), new Map(shapes))).toThrow(message);
    });

    it('an input without a type', () => {
      const b = builder();
      const x = b.input('x', null);
      expect(() => specializeInputs(b.build([x]), new Map([['x', [1]]]))).toThrow('graph input "x": has no type to specialize');
    });
  });

  it('leaves a graph whose inputs already have the given shapes as it is', () => {
    const b = builder();
    const x = b.input('x', tensorType('int32', [2]));
    const g = b.build([x]);
    expect(specializeInputs(g, new Map([['x', [2]]]))).toBe(g);
  });
});
