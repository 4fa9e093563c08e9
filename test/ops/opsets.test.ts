/**
 * @file Behaviour that changed across opsets: parameters that moved from attributes to inputs
 * (Clip, Squeeze, Unsqueeze, Split, Pad, ReduceMean, Upsample/Resize) and semantics that changed
 * (Softmax's 2-d coercion before opset 13, Resize-10's asymmetric floor mapping). The classic
 * networks and the PaddleOCR models are opset 9 and 11, so the old forms matter.
 */

import { describe, expect, it } from 'vitest';
import { float, floats, int, ints, string } from '../../src/graph/attrs.js';
import type { HostTensor } from '../../src/graph/tensor.js';
import { tensorNumbers, tensorOf } from '../../src/graph/tensor.js';
import '../../src/ops/index.js';
import { runOp } from './run.js';

const f32 = (shape: number[], values: number[]): HostTensor => tensorOf('float32', shape, values);
const i64 = (values: number[]): HostTensor => tensorOf('int64', [values.length], values);
const nums = (t: HostTensor): number[] => tensorNumbers(t).map((v) => Math.round(v * 1e5) / 1e5);

describe('parameters that moved from attributes to inputs', () => {
  it('Clip reads min/max attributes before opset 11 and scalar inputs from it', () => {
    const x = f32([4], [-3, -1, 1, 3]);
    expect(nums(runOp('Clip', [x], { opset: 9, attrs: { min: float(-2), max: float(2) } })[0])).toEqual([-2, -1, 1, 2]);
    expect(nums(runOp('Clip', [x, f32([], [-2]), null], { opset: 13 })[0])).toEqual([-2, -1, 1, 3]);
    expect(nums(runOp('Clip', [x, null, f32([], [0])], { opset: 13 })[0])).toEqual([-3, -1, 0, 0]);
  });

  it('Squeeze, Unsqueeze, Split and ReduceMean take axes and sizes either way', () => {
    const x = f32([1, 2, 1], [5, 6]);
    expect(runOp('Squeeze', [x], { opset: 11, attrs: { axes: ints([0]) } })[0].shape).toEqual([2, 1]);
    expect(runOp('Squeeze', [x, i64([-1])], { opset: 13 })[0].shape).toEqual([1, 2]);
    expect(runOp('Unsqueeze', [x], { opset: 9, attrs: { axes: ints([1, 2]) } })[0].shape).toEqual([1, 1, 1, 2, 1]);
    const y = f32([5], [1, 2, 3, 4, 5]);
    expect(runOp('Split', [y], { opset: 11, outputs: 2, attrs: { split: ints([2, 3]) } }).map(nums)).toEqual([[1, 2], [3, 4, 5]]);
    expect(runOp('Split', [y, i64([4, 1])], { opset: 13, outputs: 2 }).map(nums)).toEqual([[1, 2, 3, 4], [5]]);
    const m = f32([2, 2], [1, 2, 3, 5]);
    expect(nums(runOp('ReduceMean', [m], { opset: 11, attrs: { axes: ints([1]), keepdims: int(0) } })[0])).toEqual([1.5, 4]);
    expect(nums(runOp('ReduceMean', [m, i64([0])], { opset: 18 })[0])).toEqual([2, 3.5]);
  });

  it('Pad takes pads and value as attributes before opset 11', () => {
    const x = f32([2], [1, 2]);
    expect(nums(runOp('Pad', [x], { opset: 9, attrs: { pads: ints([1, 2]), value: float(7) } })[0])).toEqual([7, 1, 2, 7, 7]);
    expect(nums(runOp('Pad', [x, i64([1, 2]), f32([], [7])], { opset: 13 })[0])).toEqual([7, 1, 2, 7, 7]);
    expect(nums(runOp('Pad', [f32([3], [1, 2, 3]), i64([2, 2])], { opset: 13, attrs: { mode: string('reflect') } })[0])).toEqual([3, 2, 1, 2, 3, 2, 1]);
  });
});

describe('semantics that changed', () => {
  it('Softmax before opset 13 normalizes over all dims from the axis on', () => {
    const x = f32([1, 2, 2], [0, 0, 0, 0]);
    expect(nums(runOp('Softmax', [x], { opset: 11, attrs: { axis: int(1) } })[0])).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(nums(runOp('Softmax', [x], { opset: 13, attrs: { axis: int(1) } })[0])).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('Upsample and Resize-10 map coordinates asymmetrically and round down', () => {
    const x = f32([1, 1, 1, 3], [1, 2, 3]);
    const expected = [1, 1, 2, 2, 3, 3];
    expect(nums(runOp('Upsample', [x], { opset: 7, attrs: { scales: floats([1, 1, 1, 2]) } })[0])).toEqual(expected);
    expect(nums(runOp('Upsample', [x, f32([4], [1, 1, 1, 2])], { opset: 9 })[0])).toEqual(expected);
    expect(nums(runOp('Resize', [x, f32([4], [1, 1, 1, 2])], { opset: 10 })[0])).toEqual(expected);
    const linear = runOp('Resize', [x, null, f32([4], [1, 1, 1, 2])], { opset: 13, attrs: { mode: string('linear') } })[0];
    expect(nums(linear)).toEqual([1, 1.25, 1.75, 2.25, 2.75, 3]);
  });

  it('Resize as the PaddleOCR detector uses it: nearest, asymmetric, floor, by scales', () => {
    const x = f32([1, 1, 2, 2], [1, 2, 3, 4]);
    const attrs = { mode: string('nearest'), coordinate_transformation_mode: string('asymmetric'), nearest_mode: string('floor') };
    const [y] = runOp('Resize', [x, f32([0], []), f32([4], [1, 1, 2, 2])], { opset: 11, attrs });
    expect(nums(y)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
});
