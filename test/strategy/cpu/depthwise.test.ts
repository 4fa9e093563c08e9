/**
 * @file Depthwise knobs (src/strategy/cpu/depthwise.ts): a register tile never spans more than a
 * row unless the row is whole vectors, so each row's accumulators stay in whole vectors
 * (WebAssembly keeps a tile's accumulators in v128 locals only when its vectors do not straddle).
 */

import { describe, expect, it } from 'vitest';
import { wasmTargetInfo } from '../../../src/codegen/wasm/backend.js';
import { defaultDepthwiseKnobs } from '../../../src/strategy/cpu/depthwise.js';

const shape = (w: number, k: number, s: number) => ({
  outChannels: 272, outHeight: w, outWidth: w, inChannels: 272, inWidth: w * s + k - 1,
  kernelHeight: k, kernelWidth: k, strideHeight: s, strideWidth: s, depthwise: true,
});

describe('defaultDepthwiseKnobs', () => {
  it('tiles a row that is not whole vectors in whole vectors, not wider than the row', () => {
    // ShuffleNet's 14×14: 3 tiles of 4 columns and a partial one, not one tile of 16 (rows at 0 and 14)
    const k = defaultDepthwiseKnobs(wasmTargetInfo, shape(14, 3, 1));
    expect(k.owb % k.lanes).toBe(0);
    expect(k.owb).toBeLessThanOrEqual(12);
    for (let w = 5; w <= 64; w++) {
      for (const kk of [3, 5]) {
        const kn = defaultDepthwiseKnobs(wasmTargetInfo, shape(w, kk, 1));
        if (kn.owb > w) expect(w % kn.lanes === 0 || w < kn.lanes).toBe(true);
      }
    }
  });
});
