/**
 * @file The ONNX conformance cases as op tests. A case (one folder of `../shared/onnx/node`) is a
 * small model, inputs and expected outputs. Its graph is run node by node: each node's computes
 * are built by the op library and run through the js pipeline, with every input's value known
 * (so shape inputs are constants, as constant folding would make them). `Constant` nodes are data
 * and are taken from their attribute, as the frontend's legalization will.
 *
 * Outputs are compared as ONNX's runner does: |actual − expected| ≤ 1e-7 + 1e-3·|expected|,
 * NaN equal to NaN; integer and bool outputs exactly.
 */

import fs from 'node:fs';
import path from 'node:path';
import type { Graph, Node } from '../../src/graph/graph.js';
import type { HostTensor } from '../../src/graph/tensor.js';
import { tensorNumbers } from '../../src/graph/tensor.js';
import { printType } from '../../src/graph/types.js';
import { readOnnx, readTensorProto } from '../../src/frontend/onnx/index.js';
import { placeholder } from '../../src/te/compute.js';
import type { Tensor } from '../../src/te/tensor.js';
import { postOrder } from '../../src/te/tensor.js';
import { computeNode, hasOp, inferNode } from '../../src/ops/index.js';
import { constantOf } from '../../src/passes/graph/foldConstants.js';
import { runJs } from './jsrun.js';

export const ONNX_ROOT = path.resolve(import.meta.dirname, '../../../shared/onnx');
export const NODE_ROOT = path.join(ONNX_ROOT, 'node');

export interface Case {
  readonly name: string;
  readonly dir: string;
  readonly graph: Graph;
}

/** A case whose every node kiln has an op for; a reason string when it cannot be one. */
export function loadCase(name: string, root = NODE_ROOT): Case | string {
  const dir = path.join(root, name);
  let graph: Graph;
  try {
    graph = readOnnx(path.join(dir, 'model.onnx'));
  } catch (e) {
    return `unreadable: ${(e as Error).message}`;
  }
  const missing = graph.nodes.filter((n) => n.op !== 'Constant' && !hasOp(n)).map((n) => (n.domain ? `${n.domain}.${n.op}` : n.op));
  if (missing.length > 0) return `no op: ${[...new Set(missing)].join(', ')}`;
  return { name, dir, graph };
}

/** The total bytes of a case's first data set: a proxy for how long it takes to run. */
export function caseBytes(name: string, root = NODE_ROOT): number {
  const set = path.join(root, name, 'test_data_set_0');
  if (!fs.existsSync(set)) return 0;
  return fs.readdirSync(set).reduce((n, f) => n + fs.statSync(path.join(set, f)).size, 0);
}

function readSet(dir: string, prefix: 'input' | 'output'): HostTensor[] {
  const set = path.join(dir, 'test_data_set_0');
  const files = fs.readdirSync(set).filter((f) => f.startsWith(`${prefix}_`));
  const index = (f: string): number => Number(f.slice(prefix.length + 1, -3));
  return files.sort((a, b) => index(a) - index(b)).map((f) => readTensorProto(fs.readFileSync(path.join(set, f))));
}

/** One node's outputs for known input values, through infer, compute and the js pipeline. */
export async function runNodeJs(node: Node, opset: number, values: readonly (HostTensor | null)[]): Promise<HostTensor[]> {
  const types = values.map((v) => v && { dtype: v.dtype, shape: v.shape });
  inferNode(node, opset, types, (i) => values[i] ?? null);
  const holders = values.map((v, k) => v && placeholder(v.shape, v.dtype, `in${k}`));
  const outs = computeNode(node, opset, holders, (i) => values[i] ?? null);
  const read = new Set(postOrder(outs).map((t) => t.id));
  const used = holders.flatMap((h, k): [Tensor, HostTensor][] => (h && read.has(h.id) ? [[h, values[k]!]] : []));
  return runJs(used.map((u) => u[0]), used.map((u) => u[1]), outs);
}

/** The graph's outputs for `feeds`, node by node. */
export async function runGraph(g: Graph, feeds: readonly HostTensor[]): Promise<HostTensor[]> {
  const values = new Map<number, HostTensor>();
  g.inputs.forEach((v, k) => values.set(v.id, feeds[k]));
  for (const i of g.initializers) values.set(i.value.id, i.tensor);
  const opset = g.opsets.get('') ?? 1;
  for (const n of g.nodes) {
    const outs = n.op === 'Constant' ? [constantOf(n)] : await runNodeJs(n, opset, n.inputs.map((v) => v && values.get(v.id)!));
    n.outputs.forEach((v, k) => values.set(v.id, outs[k]));
  }
  return g.outputs.map((v) => values.get(v.id)!);
}

/** Why `actual` differs from `expected`, or null when they agree. */
export function compare(actual: HostTensor, expected: HostTensor): string | null {
  const shown = (t: HostTensor): string => printType({ dtype: t.dtype, shape: t.shape });
  if (actual.dtype !== expected.dtype || actual.shape.join() !== expected.shape.join()) return `got ${shown(actual)}, expected ${shown(expected)}`;
  const [a, e] = [tensorNumbers(actual), tensorNumbers(expected)];
  const exact = !(expected.dtype === 'float32' || expected.dtype === 'float64');
  for (let k = 0; k < e.length; k++) {
    const [x, y] = [a[k], e[k]];
    const ok = exact ? x === y : (Number.isNaN(x) && Number.isNaN(y)) || x === y || Math.abs(x - y) <= 1e-7 + 1e-3 * Math.abs(y);
    if (!ok) return `element ${k}: got ${x}, expected ${y}`;
  }
  return null;
}

/** Null when the case passes, else why it fails. */
export async function runCase(c: Case): Promise<string | null> {
  try {
    const expected = readSet(c.dir, 'output');
    const actual = await runGraph(c.graph, readSet(c.dir, 'input'));
    for (let k = 0; k < expected.length; k++) {
      const why = compare(actual[k], expected[k]);
      if (why) return `output ${k}: ${why}`;
    }
    return null;
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
}
