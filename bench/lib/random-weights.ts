/**
 * @file Seeded random weights for the models of ../shared/onnx/light. Those files keep only their
 * small float initializers; every larger one was replaced by a `ConstantOfShape` node (value 0),
 * so as shipped every convolution multiplies by zeros. `withRandomWeights` turns each such node
 * back into an initializer of the same shape holding seeded uniform data scaled for its role, so
 * activations stay in a sane range through the network:
 *
 *   Conv/Gemm/MatMul weight   ±sqrt(3·gain / fan_in)   (variance gain/fan_in; gain 2 is He's, for ReLU)
 *   BatchNorm scale, var; Mul [0.5, 1.5)
 *   biases, BN mean; others   [-0.1, 0.1)
 *
 * Where residual sums or long chains still grow the activations, a row passes a smaller gain, so
 * the final softmax does not saturate to one-hot (which would hide wrong numbers from the check).
 *
 * The rewrite works on the wire format: every field it does not change is copied byte for byte.
 * The files are IR version 3, where initializers are also listed as graph inputs, so each new
 * initializer gets a graph input too (onnxruntime and kiln both treat those as constants).
 */

import protobuf from 'protobufjs';
import { decodeModel, int64ToNumber } from '../../src/frontend/onnx/decode.js';
import type { NodeMsg } from '../../src/frontend/onnx/schema.js';
import { TensorProto } from '../../src/frontend/onnx/schema.js';
import { tensorFromProto } from '../../src/frontend/onnx/tensor.js';
import { valueInfo } from './onnx-model.js';
import { uniform } from './random.js';

const FLOAT = 1;
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;

interface Use {
  readonly node: NodeMsg;
  readonly index: number;
}

/** The range of a weight from the op that reads it (through Unsqueeze/Reshape, as DenseNet's scales go). */
function range(name: string, shape: readonly number[], uses: ReadonlyMap<string, readonly Use[]>, gain: number): [number, number] {
  let use = uses.get(name)?.[0];
  while (use && (use.node.opType === 'Unsqueeze' || use.node.opType === 'Reshape') && use.index === 0) {
    use = uses.get(use.node.output[0])?.[0];
  }
  const op = use?.node.opType;
  const he = (fanIn: number): [number, number] => [-Math.sqrt((3 * gain) / fanIn), Math.sqrt((3 * gain) / fanIn)];
  if (op === 'Conv' && use?.index === 1) return he(shape.slice(1).reduce((a, b) => a * b, 1));
  if (op === 'Gemm' && use?.index === 1) {
    const transB = use.node.attribute.find((a) => a.name === 'transB');
    return he(transB && int64ToNumber(transB.i) !== 0 ? shape[1] : shape[0]);
  }
  if (op === 'MatMul' && use?.index === 1) return he(shape[0]);
  if ((op === 'BatchNormalization' && (use?.index === 1 || use?.index === 4)) || op === 'Mul') return [0.5, 1.5];
  return [-0.1, 0.1];
}

/** The model with every float `ConstantOfShape` of a constant shape replaced by random data. */
export function withRandomWeights(model: Uint8Array, seed: number, gain = 2): Uint8Array {
  const graph = decodeModel(model).graph;
  if (!graph) throw new Error('withRandomWeights: the model has no graph');
  const shapes = new Map(graph.initializer.map((t) => [t.name, t]));
  const uses = new Map<string, Use[]>();
  for (const node of graph.node) {
    node.input.forEach((name, index) => uses.set(name, [...(uses.get(name) ?? []), { node, index }]));
  }
  const replaced = new Set<number>();
  const shapeNames = new Set<string>();
  const added: Uint8Array[] = [];
  const inputs: Uint8Array[] = [];
  graph.node.forEach((node, k) => {
    const shapeMsg = shapes.get(node.input[0]);
    const value = node.attribute.find((a) => a.name === 'value')?.t;
    if (node.opType !== 'ConstantOfShape' || !shapeMsg || (value && value.dataType !== FLOAT)) return;
    const shape = Array.from(tensorFromProto(shapeMsg, node.input[0], null).data, Number);
    const name = node.output[0];
    const [lo, hi] = range(name, shape, uses, gain);
    const data = uniform(shape.reduce((a, b) => a * b, 1), seed + k, lo, hi);
    const rawData = new Uint8Array(data.buffer);
    added.push(TensorProto.encode({ dims: shape, dataType: FLOAT, name, rawData }).finish());
    const w = protobuf.Writer.create();
    valueInfo(w, GRAPH_INPUT, { name, shape });
    inputs.push(w.finish());
    replaced.add(k);
    shapeNames.add(node.input[0]);
  });
  // the shape tensors go too, when nothing else reads them
  for (const name of shapeNames) if ((uses.get(name) ?? []).some((u) => u.node.opType !== 'ConstantOfShape')) shapeNames.delete(name);
  const dropped = (field: number, index: number): boolean =>
    (field === GRAPH_NODE && replaced.has(index)) ||
    (field === GRAPH_INITIALIZER && shapeNames.has(graph.initializer[index].name)) ||
    (field === GRAPH_INPUT && shapeNames.has(graph.input[index].name));

  const out = protobuf.Writer.create();
  for (const f of fields(model)) {
    if (f.id !== MODEL_GRAPH) {
      out.raw(f.bytes);
      continue;
    }
    const g = protobuf.Writer.create();
    const seen = new Map<number, number>();
    for (const gf of fields(f.payload)) {
      const index = seen.get(gf.id) ?? 0;
      seen.set(gf.id, index + 1);
      if (!dropped(gf.id, index)) g.raw(gf.bytes);
    }
    for (const t of added) g.uint32((GRAPH_INITIALIZER << 3) | 2).bytes(t);
    for (const i of inputs) g.raw(i);
    out.uint32((MODEL_GRAPH << 3) | 2).bytes(g.finish());
  }
  return out.finish();
}

interface WireField {
  readonly id: number;
  /** the whole field: tag and value */
  readonly bytes: Uint8Array;
  /** a length-delimited field's contents */
  readonly payload: Uint8Array;
}

/** The top-level fields of a message, in wire order. */
function fields(message: Uint8Array): WireField[] {
  const r = protobuf.Reader.create(message);
  const out: WireField[] = [];
  while (r.pos < r.len) {
    const start = r.pos;
    const tag = r.uint32();
    let payload = message.subarray(0, 0);
    if ((tag & 7) === 2) {
      const len = r.uint32();
      payload = message.subarray(r.pos, r.pos + len);
      r.skip(len);
    } else {
      r.skipType(tag & 7);
    }
    out.push({ id: tag >>> 3, bytes: message.subarray(start, r.pos), payload });
  }
  return out;
}
