/**
 * @file The default knobs of a depthwise convolution (each output channel reads one input
 * channel of its own), scheduled by the direct convolution of conv2d.ts. No input is shared
 * between channels, so the register tile is one channel: rows × vectors of output columns, each
 * weight broadcast shared by the whole tile. The kernel window is unrolled, so an input vector
 * that several rows of the tile read (row h + ry is row (h + 1) + (ry − 1)) is loaded once.
 * Threads split the channels; each pads its channel a band of rows at a time into a local buffer
 * within half of L1, so the padded rows are still in L1 when the window reads them.
 */

import type { TargetInfo } from '../../codegen/target.js';
import type { Conv2dKnobs, ConvShape } from './conv2d.js';
import { defaultConv2dKnobs } from './conv2d.js';

export function defaultDepthwiseKnobs(info: TargetInfo, shape: ConvShape): Conv2dKnobs {
  let knobs = defaultConv2dKnobs(info, { ...shape, depthwise: true });
  // A tile wider than a row holds rows of outWidth accumulators; unless that is whole vectors,
  // each row after the first straddles vectors (14 columns: vectors at 14, 18, 22), which
  // WebAssembly cannot keep in v128 registers: every multiply-add then goes lane by lane. Such
  // rows are tiled in whole vectors instead (14: tiles of 4 columns, the last one 2 lanes).
  const whole = shape.outWidth - (shape.outWidth % knobs.lanes);
  if (knobs.owb > shape.outWidth && whole > 0 && whole < shape.outWidth) knobs = defaultConv2dKnobs(info, { ...shape, outWidth: whole, depthwise: true });
  return { ...knobs, unrollKernel: true, padPerChannel: true, taskRows: bandRows(info, shape, knobs.ohb) };
}

/** The most output rows, in whole register tiles, whose padded input rows fit half of L1. */
function bandRows(info: TargetInfo, shape: ConvShape, ohb: number): number {
  const rowBytes = shape.inWidth * 4;
  const inputRows = (tiles: number): number => (tiles * ohb - 1) * shape.strideHeight + shape.kernelHeight;
  const all = Math.ceil(shape.outHeight / ohb);
  let tiles = all;
  while (tiles > 1 && inputRows(tiles) * rowBytes > info.l1Bytes / 2) tiles--;
  // bands of equal height: 3 bands of 38 rows, not 2 of 56 and one of 2
  tiles = Math.ceil(all / Math.ceil(all / tiles));
  return tiles * ohb;
}
