/**
 * @file Conformance through the session, in process: a handful of ONNX backend cases from
 * `../shared/onnx/node` (element-wise, broadcast, conv, pooling, softmax, layout, gather) run by
 * `runCase` on every available target, and the comparison rule the `conformance` command uses.
 */

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tensorOf } from '../../src/graph/tensor.js';
import { compareTensors, runCase } from '../../src/cli/cases.js';
import { TARGETS } from '../api/helpers.js';

const NODE_CASES = path.resolve(import.meta.dirname, '../../../shared/onnx/node');
const CASES = [
  'test_relu',
  'test_add_bcast',
  'test_conv_with_strides_padding',
  'test_averagepool_2d_pads',
  'test_softmax_axis_1',
  'test_transpose_all_permutations_3',
  'test_gather_1',
  'test_concat_3d_axis_negative_2',
];
const available = fs.existsSync(NODE_CASES);

describe.skipIf(!available).each(TARGETS)('ONNX backend cases on %s', (target) => {
  it.each(CASES)('%s passes', async (name) => {
    expect(await runCase(path.join(NODE_CASES, name), target)).toEqual({ status: 'PASS', reason: '' });
  });
});

describe('conformance comparison', () => {
  const f = (values: readonly number[]) => tensorOf('float32', [values.length], values);
  it('allows 1e-7 + 1e-3·|expected| and matches NaN with NaN', () => {
    expect(compareTensors(f([1000.9, NaN, 0]), f([1000, NaN, 1e-7]))).toBeNull();
    expect(compareTensors(f([1001.1]), f([1000]))).toBe('element 0: got 1001.0999755859375, expected 1000');
    expect(compareTensors(f([NaN]), f([0]))).toBe('element 0: got NaN, expected 0');
    expect(compareTensors(f([0]), f([NaN]))).toBe('element 0: got 0, expected NaN');
  });

  it('requires the expected dtype and shape', () => {
    expect(compareTensors(f([1, 2]), tensorOf('float32', [1, 2], [1, 2]))).toBe('got float32[2], expected float32[1, 2]');
    expect(compareTensors(tensorOf('int64', [1], [1]), f([1]))).toBe('got int64[1], expected float32[1]');
  });
});
