import { describe, expect, it } from 'vitest';
import { readOnnx } from '../../../src/frontend/onnx/index.js';
import { getAttr, printGraph } from '../../../src/graph/index.js';
import { DATA, T, le, model, vi } from './encode.js';

const real = (c: string): string => printGraph(readOnnx(`${DATA}node/${c}/model.onnx`));

describe('readOnnx on conformance models', () => {
  it('reads test_conv_with_strides_padding', () => {
    expect(real('test_conv_with_strides_padding')).toBe(
      [
        'opset ai.onnx=22',
        '%x_0: float32[1, 1, 7, 5] = input',
        '%W_1: float32[1, 1, 3, 3] = input',
        '%y_2: float32[1, 1, 4, 3] = Conv(%x_0, %W_1) {kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]}',
        'return %y_2',
      ].join('\n'),
    );
  });

  it('reads test_if: subgraphs with Constant nodes kept as nodes', () => {
    expect(real('test_if')).toBe(
      [
        'opset ai.onnx=11',
        '%cond_0: bool[] = input',
        '%res_1: float32[5] = If(%cond_0)',
        '  else_branch:',
        '    %else_out_2: float32[5] = Constant() {value=float32[5]{5, 4, 3, 2, 1}}',
        '    return %else_out_2',
        '  then_branch:',
        '    %then_out_3: float32[5] = Constant() {value=float32[5]{1, 2, 3, 4, 5}}',
        '    return %then_out_3',
        'return %res_1',
      ].join('\n'),
    );
  });

  it('reads test_loop11: a body that captures nothing and is typed from its value_info', () => {
    const g = readOnnx(`${DATA}node/test_loop11/model.onnx`);
    const body = getAttr(g.nodes[0], 'body', 'graph');
    expect(body.inputs.map((v) => v.type)).toEqual([
      { dtype: 'int64', shape: [] },
      { dtype: 'bool', shape: [] },
      { dtype: 'float32', shape: [1] },
    ]);
    expect(body.nodes.map((n) => n.op)).toEqual(['Identity', 'Constant', 'Constant', 'Add', 'Unsqueeze', 'Unsqueeze', 'Slice', 'Add', 'Identity']);
  });

  it('reads optional inputs left empty (test_clip_default_inbounds) and records the opset per domain', () => {
    expect(real('test_clip_default_inbounds').split('\n')[2]).toBe('%y_1: float32[3] = Clip(%x_0, _, _)');
    const ml = readOnnx(`${DATA}node/test_ai_onnx_ml_binarizer/model.onnx`);
    expect([...ml.opsets]).toEqual([['ai.onnx.ml', 1]]);
    expect(ml.nodes[0].domain).toBe('ai.onnx.ml');
  });

  it('treats graph inputs that are also initializers as constants (pytorch-converted BatchNorm)', () => {
    const g = readOnnx(`${DATA}pytorch-converted/test_BatchNorm1d_3d_input_eval/model.onnx`);
    expect(g.inputs.map((v) => v.name)).toEqual(['0']);
    expect(g.initializers.map((i) => i.value.name)).toEqual(['1', '2', '3', '4']);
  });
});

describe('readOnnx on written models', () => {
  it('reads symbolic, unknown and negative dims, unknown ranks, and value_info types', () => {
    const g = readOnnx(
      model({
        node: [
          { opType: 'Relu', input: ['x'], output: ['r'] },
          { opType: 'Neg', input: ['r'], output: ['y'] },
        ],
        input: [vi('x', T.FLOAT, ['batch', null, -1, 4])],
        valueInfo: [vi('r', T.FLOAT, null)],
        output: [vi('y', T.FLOAT, ['batch', null, 8, 4])],
      }),
    );
    expect(printGraph(g).split('\n').slice(1)).toEqual(['%x_0: float32[batch, ?1, ?2, 4] = input', '%r_1 = Relu(%x_0)', '%y_2: float32[batch, ?3, 8, 4] = Neg(%r_1)', 'return %y_2']);
  });

  it('drops trailing empty outputs and gives a fresh value to a middle one', () => {
    const g = readOnnx(
      model({
        node: [{ opType: 'LSTMish', domain: 'ai.onnx', input: ['x', '', 'x'], output: ['', 'h', '', ''] }],
        input: [vi('x', T.FLOAT, [1])],
        output: [vi('h', T.FLOAT, [1])],
      }),
    );
    const n = g.nodes[0];
    expect(n.domain).toBe('');
    expect(n.inputs[1]).toBeNull();
    expect(n.outputs.map((v) => v.name)).toEqual(['', 'h']);
    expect(printGraph(g).split('\n')[2]).toBe('%1, %h_2: float32[1] = LSTMish(%x_0, _, %x_0)');
  });

  it('reads attributes of every kind, including typeless ones from old files', () => {
    const g = readOnnx(
      model({
        node: [
          {
            opType: 'Custom',
            input: ['x'],
            output: ['y'],
            attribute: [
              { name: 'i', type: 2, i: -3 },
              { name: 'f', type: 1, f: 0.25 },
              { name: 's', type: 3, s: le(new TextEncoder().encode('SAME_UPPER')) },
              { name: 'is', type: 7, ints: [1, '9223372036854775807'] },
              { name: 'fs', type: 6, floats: [0.5, 2] },
              { name: 'ss', type: 8, strings: [new TextEncoder().encode('a'), new TextEncoder().encode('b')] },
              { name: 't', type: 4, t: { dims: [2], dataType: T.INT64, int64Data: [4, 5] } },
              { name: 'old', ints: [7] },
              { name: 'oldf', f: 1.5 },
            ],
          },
        ],
        input: [vi('x', T.FLOAT, [1])],
        output: [vi('y', T.FLOAT, [1])],
      }),
    );
    const n = g.nodes[0];
    expect(getAttr(n, 'i', 'int')).toBe(-3);
    expect(getAttr(n, 'is', 'ints')).toEqual([1, 2 ** 63]);
    expect(getAttr(n, 'old', 'ints')).toEqual([7]);
    expect(getAttr(n, 't', 'tensor').data).toEqual(new BigInt64Array([4n, 5n]));
    expect(printGraph(g).split('\n')[2]).toBe(
      '%y_1: float32[1] = Custom(%x_0) {f=0.25, fs=[0.5, 2], i=-3, is=[1, 9223372036854776000], old=[7], oldf=1.5, s="SAME_UPPER", ss=["a", "b"], t=int64[2]{4, 5}}',
    );
  });

  it('lets a subgraph use outer values defined before its node, and define names of its own', () => {
    const branch = (name: string): object => ({
      name,
      node: [{ opType: 'Neg', input: ['x'], output: ['x_neg'] }],
      output: [vi('x_neg', T.FLOAT, [2])],
    });
    const g = readOnnx(
      model({
        node: [
          {
            opType: 'If',
            input: ['c'],
            output: ['y'],
            attribute: [
              { name: 'then_branch', type: 5, g: branch('t') },
              { name: 'else_branch', type: 5, g: branch('e') },
            ],
          },
        ],
        input: [vi('c', T.BOOL, []), vi('x', T.FLOAT, [2])],
        output: [vi('y', T.FLOAT, [2])],
      }),
    );
    const then = getAttr(g.nodes[0], 'then_branch', 'graph');
    const other = getAttr(g.nodes[0], 'else_branch', 'graph');
    expect(then.nodes[0].inputs[0]).toBe(g.inputs[1]);
    expect(then.outputs[0]).not.toBe(other.outputs[0]);
  });
});
