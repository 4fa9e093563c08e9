import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxError, readOnnx } from '../../../src/frontend/onnx/index.js';
import type { OnnxErrorKind } from '../../../src/frontend/onnx/index.js';
import { DATA, T, binaryModel, le, model, vi } from './encode.js';

/** Asserts that `f` throws an OnnxError with exactly this message and kind. */
function fails(f: () => unknown, message: string, kind: OnnxErrorKind = 'malformed'): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(OnnxError);
  expect((err as OnnxError).message).toBe(message);
  expect((err as OnnxError).kind).toBe(kind);
}

/** TensorProto.Segment {begin: 0, end: 3}, written by hand: the reader only checks its presence. */
const SEGMENT_0_3 = new Uint8Array([0x08, 0x00, 0x10, 0x03]);

const ONLY = 'kiln computes float32, float64, int8, uint8, int32, int64, bool';

describe('malformed files', () => {
  const add = fs.readFileSync(`${DATA}node/test_add/model.onnx`);

  it('reports truncated files, garbage and empty input', () => {
    fails(() => readOnnx(add.subarray(0, 60)), 'model: not a valid ModelProto (truncated or corrupt: index out of range)');
    fails(() => readOnnx(new Uint8Array([0xff, 0xff, 0xff, 0xff])), 'model: not a valid ModelProto (truncated or corrupt: index out of range: 4 + 1 > 4)');
    fails(() => readOnnx(new TextEncoder().encode('hello, world')), 'model: not a valid ModelProto (truncated or corrupt: invalid wire type 4 at offset 3)');
    fails(() => readOnnx(new Uint8Array(0)), 'model: has no graph (not an ONNX model, or truncated)');
    fails(() => readOnnx(model({ name: 'g' }, [])), 'model: imports no opset (not an ONNX model, or truncated)');
    fails(() => readOnnx('/nonexistent/m.onnx'), 'model: cannot read "/nonexistent/m.onnx" (ENOENT)', 'io');
  });

  it('reports initializer data that does not match the shape', () => {
    fails(() => readOnnx(binaryModel({ name: 'w', dims: [3], dataType: T.FLOAT, rawData: new Uint8Array(8) })), 'initializer "w": raw data has 8 bytes, float32[3] needs 12');
    fails(() => readOnnx(binaryModel({ name: 'w', dims: [3], dataType: T.FLOAT, floatData: [1, 2] })), 'initializer "w": data has 2 elements, float32[3] needs 3');
    fails(() => readOnnx(binaryModel({ name: 'w', dims: [3], dataType: T.INT64, int32Data: [1, 2, 3] })), 'initializer "w": data has 0 elements, int64[3] needs 3');
    fails(() => readOnnx(binaryModel({ name: 'w', dims: [3, -2], dataType: T.FLOAT })), 'initializer "w": bad dimension -2 in dims');
    fails(() => readOnnx(binaryModel({ name: '', dims: [3], dataType: T.FLOAT })), 'initializer 0: has no name');
  });

  it('reports names that are undefined, out of order or defined twice', () => {
    const graph = (node: object[], output = 'y'): Uint8Array =>
      model({ node, input: [vi('x', T.FLOAT, [1])], output: [vi(output, T.FLOAT, [1])] });
    fails(() => readOnnx(graph([{ opType: 'Add', input: ['x', 'z'], output: ['y'] }])), 'node 0 (Add): input "z" is not defined');
    fails(
      () => readOnnx(graph([{ opType: 'Neg', name: 'n', input: ['r'], output: ['y'] }, { opType: 'Relu', input: ['x'], output: ['r'] }])),
      'node "n" (Neg): input "r" is used before the node that defines it (nodes must be in topological order)',
    );
    fails(() => readOnnx(graph([{ opType: 'Neg', input: ['x'], output: ['x'] }])), 'node 0 (Neg) > output "x": is defined twice');
    fails(() => readOnnx(graph([{ opType: 'Neg', input: ['x'], output: ['y'] }], 'q')), 'output "q": is not defined by the graph');
    fails(
      () => readOnnx(graph([{ opType: 'Foo', domain: 'com.acme', input: ['x'], output: ['y'] }])),
      'node 0 (com.acme.Foo): domain "com.acme" has no opset import',
    );
  });

  it('names the subgraph path of an error inside a branch', () => {
    const bad = { node: [{ opType: 'Neg', input: ['zz'], output: ['o'] }], output: [vi('o', T.FLOAT, [1])] };
    const m = model({
      node: [{ opType: 'If', name: 'if1', input: ['c'], output: ['y'], attribute: [{ name: 'then_branch', type: 5, g: bad }] }],
      input: [vi('c', T.BOOL, [])],
      output: [vi('y', T.FLOAT, [1])],
    });
    fails(() => readOnnx(m), 'node "if1" (If) > attribute "then_branch" > node 0 (Neg): input "zz" is not defined');
  });

  it('escapes model text in messages', () => {
    fails(() => readOnnx(binaryModel({ name: 'w\u001b[31m', dims: [1], dataType: T.FLOAT })), 'initializer "w\\u001b[31m": data has 0 elements, float32[1] needs 1');
  });
});

describe('unsupported models', () => {
  it('rejects element types kiln does not compute, naming the value', () => {
    fails(() => readOnnx(binaryModel({ name: 'w', dims: [1], dataType: T.STRING })), `initializer "w": element type STRING is not supported (${ONLY})`, 'unsupported');
    const typed = (x: number, y: number): Uint8Array =>
      model({ node: [{ opType: 'Neg', input: ['x'], output: ['y'] }], input: [vi('x', x, [1])], output: [vi('y', y, [1])] });
    fails(() => readOnnx(typed(T.FLOAT16, T.FLOAT)), `input "x": element type FLOAT16 is not supported (${ONLY})`, 'unsupported');
    fails(() => readOnnx(typed(T.FLOAT, T.UINT16)), `node 0 (Neg) > output "y": element type UINT16 is not supported (${ONLY})`, 'unsupported');
    fails(() => readOnnx(typed(T.FLOAT, 99)), `node 0 (Neg) > output "y": element type code 99 is not supported (${ONLY})`, 'unsupported');
    fails(
      () => readOnnx(`${DATA}node/test_cast_FLOAT16_to_FLOAT/model.onnx`),
      `input "input": element type FLOAT16 is not supported (${ONLY})`,
      'unsupported',
    );
  });

  it('rejects non-tensor types, segments and attribute kinds no op takes', () => {
    fails(() => readOnnx(`${DATA}node/test_identity_sequence/model.onnx`), 'input "x": sequence types are not supported (kiln handles tensors)', 'unsupported');
    fails(() => readOnnx(`${DATA}node/test_identity_opt/model.onnx`), 'input "opt_in": optional types are not supported (kiln handles tensors)', 'unsupported');
    fails(
      () => readOnnx(binaryModel({ name: 'w', dims: [3], dataType: T.FLOAT, segment: SEGMENT_0_3, floatData: [1, 2, 3] })),
      'initializer "w": segmented tensors are not supported',
      'unsupported',
    );
    const m = model({
      node: [{ opType: 'Custom', input: ['x'], output: ['y'], attribute: [{ name: 'ts', type: 9, tensors: [{ dims: [], dataType: 1, floatData: [1] }] }] }],
      input: [vi('x', T.FLOAT, [1])],
      output: [vi('y', T.FLOAT, [1])],
    });
    fails(() => readOnnx(m), 'node 0 (Custom) > attribute "ts": attribute type TENSORS is not supported', 'unsupported');
  });
});

describe('external data', () => {
  let dir = '';
  let outside = '';
  const weights = new Float32Array([0.5, -1.25, 8]);

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-onnx-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-outside-'));
    // the tensor sits between junk bytes, at offset 8
    fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array([...new Uint8Array(8).fill(7), ...le(weights), 1, 2, 3, 4, 5, 6, 7, 8]));
    fs.writeFileSync(path.join(outside, 'secret.bin'), le(weights));
    fs.symlinkSync(path.join(outside, 'secret.bin'), path.join(dir, 'link.bin'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  const ext = (entries: Record<string, string>): object => ({
    name: 'w',
    dims: [3],
    dataType: T.FLOAT,
    dataLocation: 1,
    externalData: Object.entries(entries).map(([key, value]) => ({ key, value })),
  });
  const write = (entries: Record<string, string>): string => {
    const file = path.join(dir, 'model.onnx');
    fs.writeFileSync(file, binaryModel(ext(entries)));
    return file;
  };

  it('reads a tensor at an offset in a file next to the model, as onnxruntime does', async () => {
    const file = write({ location: 'weights.bin', offset: '8', length: '12' });
    const g = readOnnx(file);
    expect(g.initializers[0].tensor.data).toEqual(weights);
    expect(readOnnx(fs.readFileSync(file), { baseDir: dir }).initializers[0].tensor.data).toEqual(weights);

    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(file);
    const x = new Float32Array([1, 2, 3]);
    const out = await session.run({ x: new ort.Tensor('float32', x, [3]) });
    expect(out.y.data).toEqual(x.map((v, i) => v + weights[i]));
  });

  it('refuses locations that leave the model directory', () => {
    const only = "only files inside the model's directory may be read";
    fails(() => readOnnx(write({ location: '/etc/passwd' })), `initializer "w": external data location "/etc/passwd" is an absolute path; ${only}`, 'io');
    fails(() => readOnnx(write({ location: '../secret.bin' })), `initializer "w": external data location "../secret.bin" leaves the directory with ".."; ${only}`, 'io');
    fails(() => readOnnx(write({ location: 'a\\..\\..\\x' })), `initializer "w": external data location "a\\\\..\\\\..\\\\x" leaves the directory with ".."; ${only}`, 'io');
    fails(() => readOnnx(write({ location: 'link.bin' })), `initializer "w": external data location "link.bin" resolves (through a link) to a file outside it; ${only}`, 'io');
  });

  it('reports missing files, missing directories and bad ranges', () => {
    fails(() => readOnnx(write({ location: 'missing.bin' })), 'initializer "w": external data file "missing.bin" not found', 'io');
    fails(() => readOnnx(binaryModel(ext({ location: 'weights.bin' }))), 'initializer "w": external data "weights.bin" needs the model\'s directory (give baseDir)', 'io');
    fails(() => readOnnx(write({ location: 'weights.bin' })), 'initializer "w": external data has 28 bytes, the tensor needs 12');
    fails(() => readOnnx(write({ location: 'weights.bin', offset: '20', length: '12' })), 'initializer "w": external data "weights.bin": offset 20 + length 12 is past its end (28 bytes)');
    fails(() => readOnnx(write({ location: 'weights.bin', offset: '-1' })), 'initializer "w": external data offset "-1" is not a byte count');
    fails(() => readOnnx(write({ offset: '0' })), 'initializer "w": external data has no location');
  });
});
