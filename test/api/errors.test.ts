/**
 * @file Everything a caller can get wrong ends in a typed error with an exact message naming the
 * place: unreadable models, unknown ops, undefined inputs, attributes out of range, bad options
 * and bad feeds. None may crash the process or hang.
 */

import { describe, expect, it } from 'vitest';
import { InferenceSession, OnnxError, OpError, SessionError, Tensor } from '../../src/api/index.js';
import { tensorOf } from '../../src/graph/tensor.js';
import { TARGET_NAMES } from '../../src/codegen/index.js';
import { writeModel } from './onnx-writer.js';

const f32 = (name: string, shape: readonly (number | string)[]) => ({ name, dtype: 'float32' as const, shape });
const CONCAT = writeModel({
  inputs: [f32('x', ['n', 3]), f32('y', ['n', 3])],
  outputs: [f32('z', ['n', 6])],
  nodes: [{ op: 'Concat', name: 'cat', inputs: ['x', 'y'], outputs: ['z'], attrs: { axis: { int: 1 } } }],
});

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('model errors at create', () => {
  it.each([
    ['garbage bytes', new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]), 'model: not a valid ModelProto (truncated or corrupt: invalid wire type 7 at offset 4)'],
    ['an empty file', new Uint8Array(0), 'model: has no graph (not an ONNX model, or truncated)'],
    ['a truncated file', CONCAT.slice(0, CONCAT.length - 20), 'model: not a valid ModelProto (truncated or corrupt: index out of range)'],
    ['a missing file', '/nonexistent/kiln/model.onnx', 'model: cannot read "/nonexistent/kiln/model.onnx" (ENOENT)'],
  ] as const)('%s is an OnnxError', async (_, model, message) => {
    const e = await failure(InferenceSession.create(model));
    expect(e).toBeInstanceOf(OnnxError);
    expect(e.message).toBe(message);
  });

  it('an unknown op names the node and the op', async () => {
    const model = writeModel({ inputs: [f32('x', [2])], outputs: [f32('y', [2])], nodes: [{ op: 'FancyOp', name: 'my node', inputs: ['x'], outputs: ['y'] }] });
    const e = await failure(InferenceSession.create(model));
    expect(e).toBeInstanceOf(OpError);
    expect(e.message).toBe('node "my node" (FancyOp): unknown op "FancyOp"');
  });

  it('an input that neither an initializer nor a node defines names the node and the input', async () => {
    const model = writeModel({ inputs: [f32('x', [2])], outputs: [f32('y', [2])], nodes: [{ op: 'Add', name: 'add', inputs: ['x', 'w'], outputs: ['y'] }] });
    const e = await failure(InferenceSession.create(model));
    expect(e).toBeInstanceOf(OnnxError);
    expect(e.message).toBe('node "add" (Add): input "w" is not defined');
  });

  it('an attribute out of range names the node', async () => {
    const model = writeModel({
      inputs: [f32('x', [2, 3])],
      outputs: [f32('y', [4, 3])],
      nodes: [{ op: 'Concat', name: 'cat', inputs: ['x', 'x'], outputs: ['y'], attrs: { axis: { int: 2 } } }],
    });
    const e = await failure(InferenceSession.create(model));
    expect(e).toBeInstanceOf(OpError);
    expect(e.message).toBe('node "cat" (Concat): axis 2 is out of range for rank 2');
  });

  it.each([
    [{ target: 'cuda' }, `options: unknown target "cuda" (available: ${TARGET_NAMES.join(', ')})`],
    [{ threads: 0 }, 'options: threads must be an integer from 1 to 1024, got 0'],
    [{ threads: 1.5 }, 'options: threads must be an integer from 1 to 1024, got 1.5'],
  ])('bad options %j', async (opts, message) => {
    const e = await failure(InferenceSession.create(CONCAT, opts));
    expect(e).toBeInstanceOf(SessionError);
    expect(e.message).toBe(message);
  });
});

describe('feed errors at run', () => {
  const x = new Tensor('float32', new Float32Array(6), [2, 3]);
  it.each([
    ['a missing feed', { x }, 'feed "y": is missing (the model\'s inputs: "x", "y")'],
    ['an unknown feed', { x, y: x, w: x }, 'feed "w": the model has no input of that name (its inputs: "x", "y")'],
    ['a wrong dtype', { x, y: new Tensor('int32', new Int32Array(6), [2, 3]) }, 'feed "y": expected a float32 tensor, got int32'],
    ['a wrong rank', { x, y: new Tensor('float32', new Float32Array(6), [6]) }, 'feed "y": expected shape [n, 3], got [6]'],
    ['a wrong fixed dim', { x, y: new Tensor('float32', new Float32Array(8), [2, 4]) }, 'feed "y": expected shape [n, 3], got [2, 4]'],
    ['a symbolic dim bound differently', { x, y: new Tensor('float32', new Float32Array(9), [3, 3]) }, 'feed "y": dimension 0 is n = 2 (from "x"), got 3'],
    ['not a tensor', { x, y: 5 }, 'feed "y": is not a tensor'],
    ['data of the wrong array type', { x, y: { type: 'float32', data: new Float64Array(6), dims: [2, 3] } }, 'feed "y": data is a Float64Array, expected Float32Array'],
    ['an unsupported element type', { x, y: { type: 'string', data: ['a'], dims: [1] } }, 'feed "y": has unsupported element type "string"'],
  ])('%s', async (_, feeds, message) => {
    const session = await InferenceSession.create(CONCAT, { target: 'js' });
    const e = await failure(session.run(feeds as never));
    expect(e).toBeInstanceOf(SessionError);
    expect(e.message).toBe(message);
  });

  it('a shape that depends on computed values names the node', async () => {
    // x is data, too big to specialize on (runtime/freeze.ts), so the Range's length is unknown at compile time
    const model = writeModel({
      inputs: [f32('x', [100])],
      outputs: [{ name: 'r', dtype: 'int64', shape: ['n'] }],
      initializers: [{ name: 'zero', tensor: tensorOf('int64', [], [0]) }, { name: 'one', tensor: tensorOf('int64', [], [1]) }],
      nodes: [
        { op: 'ReduceMax', inputs: ['x'], outputs: ['m'], attrs: { keepdims: { int: 0 } } },
        { op: 'Cast', inputs: ['m'], outputs: ['limit'], attrs: { to: { int: 7 } } },
        { op: 'Range', name: 'range', inputs: ['zero', 'limit', 'one'], outputs: ['r'] },
      ],
    });
    const session = await InferenceSession.create(model, { target: 'js' });
    const e = await failure(session.run({ x: new Tensor('float32', Array.from({ length: 100 }, (_, i) => i % 7), [100]) }));
    expect(e).toBeInstanceOf(SessionError);
    expect(e.message).toBe('node "range" (Range): the shape of value "r" depends on values computed at run time, not only on the input shapes');
  });
});

describe('Tensor', () => {
  it.each([
    [() => new Tensor('float32', new Float32Array(5), [2, 3]), 'Tensor: data has 5 elements, dims [2, 3] need 6'],
    [() => new Tensor('float32', new Int32Array(6), [2, 3]), 'Tensor: data is a Int32Array, expected Float32Array'],
    [() => new Tensor('string' as never, [1], [1]), 'Tensor: unsupported type "string"'],
    [() => new Tensor('float32', [1, 2], [-2]), 'Tensor: bad dims [-2]'],
  ])('rejects bad arguments: %s', (make, message) => {
    expect(make).toThrow(message);
  });

  it('infers its type from a typed array and converts plain values', () => {
    expect(new Tensor(new BigInt64Array(4), [2, 2]).type).toBe('int64');
    const t = new Tensor('int64', [1, 2, 3]);
    expect(t.dims).toEqual([3]);
    expect(t.data).toEqual(BigInt64Array.from([1n, 2n, 3n]));
    expect(new Tensor('bool', [true, false]).data).toEqual(Uint8Array.from([1, 0]));
  });
});
