import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readOnnx, readTensorProto } from '../../../src/frontend/onnx/index.js';
import { tensorNumbers } from '../../../src/graph/index.js';
import { DATA, T, binaryModel, le, tensorBytes } from './encode.js';

const pb = (c: string, f: string): Uint8Array => fs.readFileSync(`${DATA}node/${c}/test_data_set_0/${f}.pb`);

describe('readTensorProto on conformance data', () => {
  it('reads float32 inputs and outputs: test_add output is the float32 sum of its inputs', () => {
    const [x, y, sum] = [pb('test_add', 'input_0'), pb('test_add', 'input_1'), pb('test_add', 'output_0')].map((b) => readTensorProto(b));
    expect(x.dtype).toBe('float32');
    expect(x.shape).toEqual([3, 4, 5]);
    const [xs, ys] = [tensorNumbers(x), tensorNumbers(y)];
    expect(tensorNumbers(sum)).toEqual(xs.map((v, i) => Math.fround(v + ys[i])));
  });

  it('reads int64 and bool scalars (test_loop11) and float64 (test_cast_FLOAT_to_DOUBLE)', () => {
    const trip = readTensorProto(pb('test_loop11', 'input_0'));
    expect(trip).toEqual({ dtype: 'int64', shape: [], data: new BigInt64Array([5n]) });
    expect(readTensorProto(pb('test_loop11', 'input_1'))).toEqual({ dtype: 'bool', shape: [], data: new Uint8Array([1]) });
    const f32 = readTensorProto(pb('test_cast_FLOAT_to_DOUBLE', 'input_0'));
    const f64 = readTensorProto(pb('test_cast_FLOAT_to_DOUBLE', 'output_0'));
    expect(f64.dtype).toBe('float64');
    expect(tensorNumbers(f64)).toEqual(tensorNumbers(f32));
  });

  it('widens float16 and bfloat16 data to float32 exactly (their cast-to-float cases agree)', () => {
    for (const c of ['test_cast_FLOAT16_to_FLOAT', 'test_cast_BFLOAT16_to_FLOAT']) {
      const half = readTensorProto(pb(c, 'input_0'));
      const full = readTensorProto(pb(c, 'output_0'));
      expect(half.dtype).toBe('float32');
      expect(half.data).toEqual(full.data);
    }
  });
});

describe('tensor data fields', () => {
  const cases: [string, object, unknown][] = [
    ['float_data', { dims: [3], dataType: T.FLOAT, floatData: [1.5, -2, 3] }, new Float32Array([1.5, -2, 3])],
    ['double_data', { dims: [2], dataType: T.DOUBLE, doubleData: [0.1, -1e300] }, new Float64Array([0.1, -1e300])],
    ['int32_data for int8', { dims: [3], dataType: T.INT8, int32Data: [-128, 127, -1] }, new Int8Array([-128, 127, -1])],
    ['int32_data for uint8', { dims: [2], dataType: T.UINT8, int32Data: [255, 7] }, new Uint8Array([255, 7])],
    ['int32_data for bool', { dims: [3], dataType: T.BOOL, int32Data: [1, 0, 1] }, new Uint8Array([1, 0, 1])],
    ['int32_data for int32', { dims: [2], dataType: T.INT32, int32Data: [-2147483648, 5] }, new Int32Array([-2147483648, 5])],
    ['int64_data beyond 2^53', { dims: [2], dataType: T.INT64, int64Data: ['-9223372036854775808', '9007199254740993'] }, new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n])],
    ['int32_data for float16 bits', { dims: [4], dataType: T.FLOAT16, int32Data: [0x3c00, 0xc000, 0x0001, 0x7c00] }, new Float32Array([1, -2, 2 ** -24, Infinity])],
    ['raw float32', { dims: [2, 2], dataType: T.FLOAT, rawData: le(new Float32Array([1, 2, 3, 4])) }, new Float32Array([1, 2, 3, 4])],
    ['raw int64', { dims: [2], dataType: T.INT64, rawData: le(new BigInt64Array([-3n, 2n ** 62n])) }, new BigInt64Array([-3n, 2n ** 62n])],
    ['raw float64', { dims: [1], dataType: T.DOUBLE, rawData: le(new Float64Array([Math.PI])) }, new Float64Array([Math.PI])],
    ['raw int32', { dims: [2], dataType: T.INT32, rawData: le(new Int32Array([-7, 9])) }, new Int32Array([-7, 9])],
    ['raw bool, nonzero bytes as true', { dims: [3], dataType: T.BOOL, rawData: new Uint8Array([0, 2, 1]) }, new Uint8Array([0, 1, 1])],
    ['raw float16', { dims: [2], dataType: T.FLOAT16, rawData: new Uint8Array([0x00, 0x3c, 0x00, 0xb8]) }, new Float32Array([1, -0.5])],
    ['raw bfloat16', { dims: [1], dataType: T.BFLOAT16, rawData: new Uint8Array([0x80, 0x3f]) }, new Float32Array([1])],
    ['an empty tensor', { dims: [0, 3], dataType: T.FLOAT }, new Float32Array(0)],
  ];
  it.each(cases)('reads %s', (_, proto, expected) => {
    expect(readTensorProto(tensorBytes(proto)).data).toEqual(expected);
  });

  it('reads raw data at unaligned offsets inside the file', () => {
    // a 1-byte name puts raw_data at an odd offset in the message
    const t = readTensorProto(tensorBytes({ name: 'a', dims: [2], dataType: T.DOUBLE, rawData: le(new Float64Array([1.25, -8])) }));
    expect(t.data).toEqual(new Float64Array([1.25, -8]));
  });

  it('keeps initializer data typed float16 in a model as float32 constants', () => {
    const g = readOnnx(binaryModel({ name: 'w', dims: [3], dataType: T.FLOAT16, int32Data: [0x3c00, 0x4000, 0x4200] }));
    expect(g.initializers[0].tensor).toEqual({ dtype: 'float32', shape: [3], data: new Float32Array([1, 2, 3]) });
    expect(g.initializers[0].value.type).toEqual({ dtype: 'float32', shape: [3] });
  });
});
