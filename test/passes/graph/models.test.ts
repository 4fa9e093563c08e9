import { describe, expect, it } from 'vitest';
import { verifyGraph } from '../../../src/graph/verify.js';
import { readOnnx } from '../../../src/frontend/onnx/index.js';
import { fusedBody, isFused, optimizeGraph } from '../../../src/passes/graph/index.js';
import { ctx } from './helpers.js';

const LIGHT = new URL('../../../../shared/onnx/light/', import.meta.url).pathname;

/** The op counts of a graph; a Fused node counts its body's ops too, prefixed `Fused:`. */
function census(g: ReturnType<typeof readOnnx>): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (k: string): void => void (out[k] = (out[k] ?? 0) + 1);
  for (const n of g.nodes) {
    add(n.op);
    if (isFused(n)) for (const m of fusedBody(n).nodes) add(`Fused:${m.op}`);
  }
  return out;
}

describe('graph pipeline on the ONNX light models (weights as ConstantOfShape)', () => {
  it('shufflenet: weights and BatchNorms folded into the convs, channel shuffles fused', () => {
    // Rule: every ConstantOfShape folds, every BatchNormalization folds into its Conv, and the
    // Reshape → Transpose → Reshape shuffles fuse with their neighbours.
    const g = optimizeGraph(readOnnx(`${LIGHT}light_shufflenet.onnx`), ctx, { inputShapes: new Map([['gpu_0/data_0', [1, 3, 224, 224]]]) });
    verifyGraph(g);
    const c = census(g);
    for (const gone of ['ConstantOfShape', 'BatchNormalization', 'Fused:BatchNormalization', 'Fused:Mul']) expect(c[gone]).toBeUndefined();
    expect(c['Fused:Transpose']).toBe(16);
    expect(c.Conv + c['Fused:Conv']).toBe(49);
    expect(g.nodes.every((n) => n.outputs.every((v) => v.type !== null && v.type.shape.every((d) => typeof d === 'number')))).toBe(true);
  });

  it('squeezenet: Conv + Relu fused, Dropout gone', () => {
    const g = optimizeGraph(readOnnx(`${LIGHT}light_squeezenet.onnx`), ctx, { inputShapes: new Map([['data_0', [1, 3, 224, 224]]]) });
    const c = census(g);
    expect(c.Fused).toBe(26);
    expect(c['Fused:Relu']).toBe(26);
    expect(c.Dropout).toBeUndefined();
  });
});
