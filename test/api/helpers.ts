/**
 * @file Shared by the API, runtime and CLI tests: the targets to test on (every registered one;
 * c only when a C compiler is installed), seeded random tensors, onnxruntime-node as the
 * reference, and a closeness check with the tolerance `kiln compare` uses.
 */

import { spawnSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import { Tensor } from '../../src/api/index.js';
import type { TargetName } from '../../src/codegen/index.js';
import { TARGET_NAMES } from '../../src/codegen/index.js';

const HAS_CC = spawnSync('cc', ['--version']).status === 0;

/** Every registered target this machine can run. */
export const TARGETS: readonly TargetName[] = TARGET_NAMES.filter((t) => t !== 'c' || HAS_CC);

/** Seeded uniform floats in [-1, 1) (xorshift32), so tests are deterministic. */
export function randomFloats(n: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 2 ** 32) * 2 - 1;
  });
}

export function randomTensor(dims: readonly number[], seed: number): Tensor {
  return new Tensor('float32', randomFloats(dims.reduce((a, b) => a * b, 1), seed), dims);
}

/** onnxruntime-node's outputs for `model` on `feeds`, as kiln tensors. */
export async function runOrt(model: Uint8Array, feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
  const session = await ort.InferenceSession.create(model);
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data as Float32Array, [...t.dims]);
    const out = await session.run(ortFeeds);
    const result: Record<string, Tensor> = {};
    for (const name of session.outputNames) {
      const t = out[name];
      Object.defineProperty(result, name, { value: new Tensor('float32', t.data as Float32Array, t.dims), enumerable: true });
    }
    return result;
  } finally {
    await session.release();
  }
}

/** The largest |a − b| over two float tensors of the same dims. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (a.dims.join() !== b.dims.join()) throw new Error(`dims differ: [${a.dims.join()}] vs [${b.dims.join()}]`);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return m;
}

/** A tensor's elements as numbers. */
export function numbers(t: Tensor | undefined): number[] {
  if (t === undefined) return [];
  return t.type === 'int64' ? Array.from(t.data as BigInt64Array, Number) : Array.from(t.data as Float32Array);
}
