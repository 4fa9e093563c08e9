/**
 * @file Nearest Resize by integer scales reads input ⌊x / s⌋ through integer arithmetic; these
 * check it against the ONNX formulas evaluated here in float32, for every output position.
 */

import { describe, expect, it } from 'vitest';
import { attrs, string } from '../../src/graph/attrs.js';
import { makeNode, value } from '../../src/graph/graph.js';
import { tensorNumbers, tensorOf } from '../../src/graph/tensor.js';
import { tensorType } from '../../src/graph/types.js';
import { runNodeJs } from './conformance.js';

const f = Math.fround;

/** The input index ONNX gives output x of a dim (extent `inn`, scale `s`), in float32 steps. */
function reference(coord: string, nearest: string, x: number, s: number, inn: number, out: number): number {
  const c = coord === 'asymmetric' ? f(x / s) : coord === 'pytorch_half_pixel' && out === 1 ? 0 : f(f(f(x + 0.5) / s) - 0.5);
  const r = nearest === 'floor' ? Math.floor(c) : nearest === 'ceil' ? Math.ceil(c) : nearest === 'round_prefer_floor' ? Math.ceil(f(c - 0.5)) : Math.floor(f(c + 0.5));
  return Math.min(Math.max(r, 0), inn - 1);
}

async function resize(coord: string, nearest: string, inn: number, s: number): Promise<number[]> {
  const x = tensorOf('float32', [1, 1, 1, inn], Array.from({ length: inn }, (_, i) => i));
  const scales = tensorOf('float32', [4], [1, 1, 1, s]);
  const node = makeNode({
    op: 'Resize',
    inputs: [value('x', tensorType('float32', x.shape)), null, value('scales', tensorType('float32', [4]))],
    outputs: [value('y', null)],
    attrs: attrs({ mode: string('nearest'), coordinate_transformation_mode: string(coord), nearest_mode: string(nearest) }),
  });
  const [y] = await runNodeJs(node, 19, [x, null, scales]);
  return tensorNumbers(y);
}

describe('Resize nearest, integer scales', () => {
  it.each([
    ['asymmetric', 'floor'],
    ['half_pixel', 'round_prefer_floor'],
    ['half_pixel', 'round_prefer_ceil'],
    ['pytorch_half_pixel', 'round_prefer_floor'],
    // not exact as integer arithmetic: still the float formula
    ['asymmetric', 'round_prefer_ceil'],
    ['half_pixel', 'floor'],
  ])('%s with %s reads the input the ONNX formula picks', async (coord, nearest) => {
    for (const [inn, s] of [[7, 1], [7, 2], [5, 3], [4, 4], [3, 5], [1, 3]]) {
      const got = await resize(coord, nearest, inn, s);
      const want = Array.from({ length: inn * s }, (_, x) => reference(coord, nearest, x, s, inn, inn * s));
      expect(got, `${inn} × ${s}`).toEqual(want);
    }
  });
});
