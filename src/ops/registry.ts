/**
 * @file The op registry. kiln's op set is ONNX-shaped: each op (domain '', named by its ONNX op
 * type) is defined exactly once, here in `src/ops`, by
 *
 * - `infer`: output types from input types on symbolic shapes — with the values of inputs that are
 *   known constants (Reshape's shape, Slice's starts, …), or unknown dims where they are not;
 * - `compute`: the TE compute on concrete shapes, input tensors to output tensors. This is the
 *   op's meaning: constant folding, test references and every backend derive from it;
 * - `pattern`: how the operator fuser may group it with its neighbours.
 *
 * Ops register themselves with `defineOp` when their module loads; `src/ops/index.ts` loads them
 * all, so importing the library through it gives the full registry.
 */

import type { Node } from '../graph/graph.js';
import { nodeLabel } from '../graph/graph.js';
import { quote } from '../graph/text.js';
import type { TensorType } from '../graph/types.js';
import type { Tensor } from '../te/tensor.js';
import type { ComputeContext, InferContext } from './context.js';
import { OpError } from './errors.js';

/**
 * What the fuser may do with an op (TVM's pattern kinds, weakest to strongest barrier):
 * `elementwise` maps each element alone, `broadcast` also reads inputs broadcast along some axes,
 * `injective` reads each input element through an index map (reshape, transpose, slice),
 * `reduction` folds axes away, `outEwiseFusable` is a heavy op (conv, matmul) whose output may take
 * element-wise consumers, and `opaque` is fused with nothing.
 */
export type FusionPattern = 'elementwise' | 'broadcast' | 'injective' | 'reduction' | 'outEwiseFusable' | 'opaque';

export interface OpDef {
  /** the ONNX op type */
  readonly name: string;
  /** '' (the default) for ONNX ops; 'kiln' for the compiler's own ops (blocked layouts) */
  readonly domain?: string;
  /** the accepted number of inputs, [min, max]; trailing optional inputs may be absent or null */
  readonly inputs: readonly [number, number];
  /** the accepted number of outputs, [min, max] */
  readonly outputs: readonly [number, number];
  readonly pattern: FusionPattern | ((node: Node) => FusionPattern);
  /** one type per node output */
  infer(ctx: InferContext): TensorType[];
  /** one tensor per node output, with the shapes `infer` gives for the same concrete inputs */
  compute(ctx: ComputeContext): Tensor[];
}

const registry = new Map<string, OpDef>();

/** The registry key: the op type, prefixed by its domain outside the default one. */
const keyOf = (domain: string, op: string): string => (domain === '' ? op : `${domain}.${op}`);

/** Registers `def`; an op is defined once, so a second definition of a name is an error. */
export function defineOp(def: OpDef): OpDef {
  const key = keyOf(def.domain ?? '', def.name);
  if (registry.has(key)) throw new OpError(`op ${quote(key)}`, 'is defined twice');
  if (def.inputs[0] > def.inputs[1] || def.outputs[0] > def.outputs[1]) {
    throw new OpError(`op ${quote(def.name)}`, 'has a min arity above its max arity');
  }
  registry.set(key, def);
  return def;
}

export function hasOp(node: Pick<Node, 'op' | 'domain'>): boolean {
  return registry.has(keyOf(node.domain, node.op));
}

/** The definition of `node`'s op, or an OpError `unknown op X` naming the node. */
export function getOp(node: Node): OpDef {
  const def = registry.get(keyOf(node.domain, node.op));
  if (def === undefined) throw new OpError(nodeLabel(node), `unknown op ${quote(keyOf(node.domain, node.op))}`);
  return def;
}

/** The names of all registered ops (`kiln.X` for the kiln domain), sorted. */
export function registeredOps(): string[] {
  return [...registry.keys()].sort();
}

export function patternOf(node: Node): FusionPattern {
  const p = getOp(node).pattern;
  return typeof p === 'function' ? p(node) : p;
}
