import { describe, expect, it } from 'vitest';
import {
  GraphBuilder,
  GraphError,
  attrs,
  float,
  getAttr,
  findAttr,
  graph as graphAttr,
  indexGraph,
  captures,
  int,
  ints,
  makeNode,
  printGraph,
  string,
  tensor,
  tensorOf,
  tensorType,
  value,
  verifyGraph,
  withType,
  zeros,
} from '../../src/graph/index.js';
import type { Graph } from '../../src/graph/index.js';

const OPSETS = new Map([['', 13]]);

/** x → Conv(x, w, b) → Relu → output, with a symbolic batch and spatial dims. */
function convRelu(): Graph {
  const b = new GraphBuilder(OPSETS, 'main');
  const x = b.input('x', tensorType('float32', ['N', 3, 'h', 'w']));
  const w = b.initializer('w', zeros('float32', [64, 3, 3, 3]));
  const bias = b.initializer('b', tensorOf('float32', [2], [0.5, -1]));
  const conv = b.node('Conv', [x, w, bias], {
    attrs: attrs({ kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) }),
    outputs: [{ name: 'y', type: tensorType('float32', ['N', 64, 'h', 'w']) }],
  });
  const relu = b.node('Relu', [conv.outputs[0]]);
  return b.build([relu.outputs[0]]);
}

describe('graph printer', () => {
  it('prints definitions in order with types, attributes and small constants', () => {
    expect(printGraph(convRelu())).toBe(
      [
        'opset ai.onnx=13',
        '%x_0: float32[N, 3, h, w] = input',
        '%w_1: float32[64, 3, 3, 3] = const {…}',
        '%b_2: float32[2] = const {0.5, -1}',
        '%y_3: float32[N, 64, h, w] = Conv(%x_0, %w_1, %b_2) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}',
        '%4 = Relu(%y_3)',
        'return %4',
      ].join('\n'),
    );
  });

  it('numbers values without hints when asked, and shows omitted inputs as _', () => {
    const b = new GraphBuilder(OPSETS);
    const x = b.input('x', null);
    const n = b.node('Clip', [x, null, x], { attrs: attrs({ alpha: float(0.1), mode: string('a"b') }) });
    const text = printGraph(b.build(n.outputs), { names: false });
    expect(text.split('\n')[2]).toBe('%1 = Clip(%0, _, %0) {alpha=0.1, mode="a\\"b"}');
  });

  it('never prints raw model text: names, ops, dims and strings are sanitized or escaped', () => {
    const b = new GraphBuilder(new Map([['', 13], ['evil\u001b[2J', 1]]));
    const x = b.input('a\nb;rm -rf', tensorType('float32', ['bad dim\u0007']));
    const n = b.node('Op\u202e', [x], { domain: 'evil\u001b[2J', attrs: attrs({ 's\u0000': string('\u001b]0;') }) });
    const text = printGraph(b.build(n.outputs));
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\uffff]/u);
    expect(text).toContain('%abrmrf_0: float32["bad dim\\u0007"] = input');
    expect(text).toContain('"evil\\u001b[2J"::"Op\\u202e"(%abrmrf_0) {"s\\u0000"="\\u001b]0;"}');
  });

  it('indents subgraphs under their node and numbers their values after the outer ones', () => {
    const outer = new GraphBuilder(OPSETS);
    const cond = outer.input('c', tensorType('bool', []));
    const x = outer.input('x', tensorType('float32', [2]));
    const branch = (op: string): Graph => {
      const sb = new GraphBuilder(OPSETS);
      return sb.buildSubgraph(sb.node(op, [x]).outputs);
    };
    const n = outer.node('If', [cond], { attrs: attrs({ then_branch: graphAttr(branch('Neg')), else_branch: graphAttr(branch('Abs')) }) });
    expect(printGraph(outer.build(n.outputs)).split('\n').slice(3)).toEqual([
      '%2 = If(%c_0)',
      '  else_branch:',
      '    %3 = Abs(%x_1)',
      '    return %3',
      '  then_branch:',
      '    %4 = Neg(%x_1)',
      '    return %4',
      'return %2',
    ]);
  });
});

describe('graph verifier', () => {
  it('accepts a well-formed graph', () => {
    expect(() => verifyGraph(convRelu())).not.toThrow();
  });

  it('rejects a use before the definition, naming the node', () => {
    const g = convRelu();
    const swapped = { ...g, nodes: [g.nodes[1], g.nodes[0]] };
    expect(() => verifyGraph(swapped)).toThrow(new GraphError('node #' + g.nodes[1].id + ' (Relu)', 'uses value "y" before its definition (nodes are not in topological order)'));
  });

  it('rejects an undefined input, a value defined twice, and an undefined output', () => {
    const g = convRelu();
    const ghost = value('ghost', null);
    const bad = makeNode({ op: 'Neg', name: 'n1', inputs: [ghost], outputs: [value('', null)] });
    expect(() => verifyGraph({ ...g, nodes: [...g.nodes, bad] })).toThrow('node "n1" (Neg): uses value "ghost" but it is never defined');
    const twice = makeNode({ op: 'Neg', name: 'n2', inputs: [g.inputs[0]], outputs: [g.inputs[0]] });
    expect(() => verifyGraph({ ...g, nodes: [twice] })).toThrow('node "n2" (Neg): value "x" is defined twice');
    expect(() => verifyGraph({ ...g, outputs: [ghost] })).toThrow('graph output value "ghost": uses value "ghost" but it is never defined');
  });

  it('rejects a stale version of a retyped value and a mistyped initializer', () => {
    const g = convRelu();
    const y = g.nodes[0].outputs[0];
    const retyped = makeNode({ ...g.nodes[0], outputs: [withType(y, tensorType('float64', [1]))] });
    expect(() => verifyGraph({ ...g, nodes: [retyped, g.nodes[1]] })).toThrow(
      `node #${g.nodes[1].id} (Relu): uses value "y" as float32[N, 64, h, w], but it is defined as float64[1]`,
    );
    const init = g.initializers[1];
    const wrong = { value: withType(init.value, tensorType('float32', [3])), tensor: init.tensor };
    expect(() => verifyGraph({ ...g, initializers: [g.initializers[0], wrong] })).toThrow('initializer value "b": holds float32[2] but is typed float32[3]');
  });

  it('rejects a domain without an opset and checks subgraphs in the scope of their node', () => {
    const b = new GraphBuilder(OPSETS);
    const x = b.input('x', null);
    const n = b.node('Foo', [x], { domain: 'com.acme', name: 'f' });
    expect(() => b.build(n.outputs)).toThrow('node "f" (com.acme.Foo): domain "com.acme" has no opset import');

    const later = value('later', null);
    const sb = new GraphBuilder(OPSETS);
    const body = sb.buildSubgraph(sb.node('Neg', [later]).outputs);
    const outer = new GraphBuilder(OPSETS);
    const c = outer.input('c', null);
    const iff = outer.node('If', [c], { name: 'if1', attrs: attrs({ then_branch: graphAttr(body) }) });
    outer.node('Neg', [c], { outputs: [later] });
    expect(() => outer.build(iff.outputs)).toThrow(`node "if1" (If) > node #${body.nodes[0].id} (Neg): uses value "later" but it is never defined`);
  });
});

describe('graph builder', () => {
  it('removes a node by replacing its output, keeping untouched nodes as the same objects', () => {
    const g = convRelu();
    const b = GraphBuilder.from(g);
    const conv = g.nodes[0];
    const id = b.node('Identity', [conv.inputs[0]], { outputs: [{ name: 'skip' }] });
    b.replace(conv.outputs[0], id.outputs[0]);
    const relu = b.copy(g.nodes[1]);
    const h = b.build(g.outputs);
    expect(relu).not.toBe(g.nodes[1]);
    expect(relu.id).toBe(g.nodes[1].id);
    expect(relu.inputs[0]).toBe(id.outputs[0]);
    expect(printGraph(h).split('\n').slice(4)).toEqual(['%skip_3 = Identity(%x_0)', '%4 = Relu(%skip_3)', 'return %4']);

    const same = GraphBuilder.from(g);
    g.nodes.forEach((n) => same.copy(n));
    const k = same.build(g.outputs);
    expect(k.nodes[0]).toBe(g.nodes[0]);
    expect(k.nodes[1]).toBe(g.nodes[1]);
  });

  it('retypes outputs with copy and updates later uses, graph outputs and subgraph captures', () => {
    const b = new GraphBuilder(OPSETS);
    const x = b.input('x', tensorType('float32', [4]));
    const neg = b.node('Neg', [x]);
    const sb = new GraphBuilder(OPSETS);
    const body = sb.buildSubgraph(sb.node('Abs', [neg.outputs[0]]).outputs);
    const loop = b.node('If', [x], { attrs: attrs({ then_branch: graphAttr(body) }) });
    const g = b.build([neg.outputs[0], loop.outputs[0]]);

    const r = GraphBuilder.from(g);
    const typed = withType(g.nodes[0].outputs[0], tensorType('float32', [4]));
    r.copy(g.nodes[0], { outputs: [typed] });
    const iff = r.copy(g.nodes[1]);
    const h = r.build(g.outputs);
    expect(h.outputs[0]).toBe(typed);
    const newBody = getAttr(iff, 'then_branch', 'graph');
    expect(newBody).not.toBe(body);
    expect(newBody.nodes[0].inputs[0]).toBe(typed);
    expect(captures(newBody)).toEqual([typed]);
  });

  it('chains replacements and ignores replacing a value by itself', () => {
    const b = new GraphBuilder(OPSETS);
    const [x, y, z] = [b.input('x', null), b.input('y', null), b.input('z', null)];
    b.replace(x, y);
    b.replace(y, z);
    b.replace(z, z);
    b.replace(withType(z, null), z);
    expect(b.resolve(x)).toBe(z);
    expect(b.resolve(y)).toBe(z);
  });
});

describe('use-def index', () => {
  it('finds definitions, constants and consumers, including captures by subgraphs', () => {
    const b = new GraphBuilder(OPSETS);
    const x = b.input('x', null);
    const k = b.initializer('k', tensorOf('int64', [1], [7n]));
    const add = b.node('Add', [x, k]);
    const sb = new GraphBuilder(OPSETS);
    const body = sb.buildSubgraph(sb.node('Neg', [add.outputs[0]]).outputs);
    const iff = b.node('If', [x], { attrs: attrs({ then_branch: graphAttr(body) }) });
    const g = b.build(iff.outputs);
    const ix = indexGraph(g);
    expect(ix.definition(x)).toEqual({ kind: 'input', index: 0 });
    expect(ix.constant(k)?.data).toEqual(new BigInt64Array([7n]));
    expect(ix.producer(add.outputs[0])).toBe(add);
    expect(ix.consumers(x)).toEqual([add, iff]);
    expect(ix.consumers(add.outputs[0])).toEqual([iff]);
    expect(ix.isOutput(iff.outputs[0])).toBe(true);
    expect(ix.definition(value('stranger', null))).toBeUndefined();
    expect(indexGraph(g)).toBe(ix);
  });
});

describe('attributes and tensors', () => {
  const n = makeNode({ op: 'Conv', name: 'c', inputs: [], outputs: [], attrs: attrs({ group: int(2), pads: ints([1, 1]), value: tensor(zeros('int8', [2])) }) });

  it('reads typed attributes with defaults and names the node on a mismatch or a missing one', () => {
    expect(getAttr(n, 'group', 'int')).toBe(2);
    expect(getAttr(n, 'dilations', 'ints', [1, 1])).toEqual([1, 1]);
    expect(findAttr(n, 'auto_pad', 'string')).toBeUndefined();
    expect(getAttr(n, 'value', 'tensor').dtype).toBe('int8');
    expect(() => getAttr(n, 'pads', 'int')).toThrow('node "c" (Conv): attribute "pads" is ints, expected int');
    expect(() => getAttr(n, 'axis', 'int')).toThrow('node "c" (Conv): missing required int attribute "axis"');
  });

  it('builds tensors of every dtype and rejects wrong lengths and array types', () => {
    expect(tensorOf('bool', [3], [true, 0, 5]).data).toEqual(new Uint8Array([1, 0, 1]));
    expect(tensorOf('int64', [2], [3, -4n]).data).toEqual(new BigInt64Array([3n, -4n]));
    expect(tensorOf('float32', [], [0.1]).data[0]).toBe(Math.fround(0.1));
    expect(() => tensorOf('int32', [2, 2], [1, 2, 3])).toThrow('tensor int32[2, 2]: got 3 values, the shape needs 4');
    expect(() => zeros('float32', [2, -1])).toThrow('zeros float32[2, -1]: bad dimension -1 in shape [2, -1]');
  });
});
