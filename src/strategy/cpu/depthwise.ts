/**
 * @file The default knobs of a depthwise convolution (each output channel reads one input
 * channel of its own), scheduled by the direct convolution of conv2d.ts. No input is shared
 * between channels, so the register tile is one channel: rows × vectors of output columns, each
 * weight broadcast shared by the whole tile. The kernel window is unrolled, so an input vector
 * that several rows of the tile read (row h + ry is row (h + 1) + (ry − 1)) is loaded once.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { Conv2dKnobs, ConvShape } from './conv2d.js';
import { defaultConv2dKnobs } from './conv2d.js';

export function defaultDepthwiseKnobs(info: TargetInfo, shape: ConvShape): Conv2dKnobs {
  return { ...defaultConv2dKnobs(info, { ...shape, depthwise: true }), unrollKernel: true };
}
