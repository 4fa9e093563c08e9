/**
 * @file What an op sees of its node: attributes (typed, with per-op defaults), input types or
 * tensors, and the values of inputs that are known constants. `inferNode` and `computeNode` are
 * the two entry points the rest of the compiler calls; they check arity and input types before an
 * op runs, and check after it that the compute agrees with the inference, so a disagreement
 * between an op's two halves surfaces as an error naming the node rather than as wrong numbers.
 */

import type { DType } from '../ir/dtype.js';
import type { AttrKind, AttrValues } from '../graph/attrs.js';
import { findAttr } from '../graph/attrs.js';
import { GraphError } from '../graph/errors.js';
import type { Node } from '../graph/graph.js';
import { nodeLabel } from '../graph/graph.js';
import type { HostTensor } from '../graph/tensor.js';
import { tensorNumbers } from '../graph/tensor.js';
import { quote } from '../graph/text.js';
import type { TensorType } from '../graph/types.js';
import { printType, staticShape } from '../graph/types.js';
import type { Tensor } from '../te/tensor.js';
import { OpError } from './errors.js';
import { getOp } from './registry.js';

/** The value of input `index` when it is a known constant, else null. */
export type ConstantLookup = (index: number) => HostTensor | null;

/** A type whose shape is concrete: what kernels are specialized to. */
export interface ConcreteType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface NodeContext {
  readonly node: Node;
  /** the opset version of the node's domain */
  readonly opset: number;
  /** `node "conv1" (Conv)`: the place errors name */
  readonly where: string;
  /** how many outputs the node has */
  readonly outputCount: number;
  /** whether input `i` is given (present and not null) */
  has(i: number): boolean;
  constant(i: number): HostTensor | null;
  /** the elements of constant input `i` as numbers, or null when it is not constant */
  constantValues(i: number): number[] | null;
  int(name: string, fallback?: number): number;
  float(name: string, fallback?: number): number;
  string(name: string, fallback?: string): string;
  ints(name: string, fallback?: readonly number[]): readonly number[];
  floats(name: string, fallback?: readonly number[]): readonly number[];
  tensor(name: string): HostTensor;
  /** whether the node has attribute `name` */
  hasAttr(name: string): boolean;
  /** an OpError naming this node, to throw */
  fail(detail: string): OpError;
}

export interface InferContext extends NodeContext {
  /** the type of input `i`; an OpError when the input is absent */
  type(i: number): TensorType;
  optionalType(i: number): TensorType | null;
}

export interface ComputeContext extends NodeContext {
  /** the tensor of input `i`; an OpError when the input is absent */
  input(i: number): Tensor;
  optionalInput(i: number): Tensor | null;
  /** the output types `infer` gives for these inputs, all concrete */
  readonly outputs: readonly ConcreteType[];
}

class BaseContext implements NodeContext {
  readonly where: string;
  constructor(
    readonly node: Node,
    readonly opset: number,
    private readonly lookup: ConstantLookup,
  ) {
    this.where = nodeLabel(node);
  }

  get outputCount(): number {
    return this.node.outputs.length;
  }

  has(i: number): boolean {
    return (this.node.inputs[i] ?? null) !== null;
  }

  constant(i: number): HostTensor | null {
    return this.has(i) ? this.lookup(i) : null;
  }

  constantValues(i: number): number[] | null {
    const t = this.constant(i);
    return t === null ? null : tensorNumbers(t);
  }

  private attr<K extends AttrKind>(name: string, kind: K, fallback: AttrValues[K] | undefined): AttrValues[K] {
    let v: AttrValues[K] | undefined;
    try {
      v = findAttr(this.node, name, kind);
    } catch (e) {
      if (e instanceof GraphError) throw new OpError(this.where, e.detail);
      throw e;
    }
    if (v !== undefined) return v;
    if (fallback !== undefined) return fallback;
    throw this.fail(`missing required ${kind} attribute ${quote(name)}`);
  }

  int(name: string, fallback?: number): number {
    return this.attr(name, 'int', fallback);
  }
  float(name: string, fallback?: number): number {
    return this.attr(name, 'float', fallback);
  }
  string(name: string, fallback?: string): string {
    return this.attr(name, 'string', fallback);
  }
  ints(name: string, fallback?: readonly number[]): readonly number[] {
    return this.attr(name, 'ints', fallback);
  }
  floats(name: string, fallback?: readonly number[]): readonly number[] {
    return this.attr(name, 'floats', fallback);
  }
  tensor(name: string): HostTensor {
    return this.attr(name, 'tensor', undefined);
  }
  hasAttr(name: string): boolean {
    return this.node.attrs.has(name);
  }

  fail(detail: string): OpError {
    return new OpError(this.where, detail);
  }
}

class InferCtx extends BaseContext implements InferContext {
  constructor(
    node: Node,
    opset: number,
    lookup: ConstantLookup,
    private readonly types: readonly (TensorType | null)[],
  ) {
    super(node, opset, lookup);
  }

  type(i: number): TensorType {
    const t = this.optionalType(i);
    if (t === null) throw this.fail(`input ${i} is required`);
    return t;
  }

  optionalType(i: number): TensorType | null {
    return this.has(i) ? (this.types[i] ?? null) : null;
  }
}

class ComputeCtx extends BaseContext implements ComputeContext {
  constructor(
    node: Node,
    opset: number,
    lookup: ConstantLookup,
    private readonly tensors: readonly (Tensor | null)[],
    readonly outputs: readonly ConcreteType[],
  ) {
    super(node, opset, lookup);
  }

  input(i: number): Tensor {
    const t = this.optionalInput(i);
    if (t === null) throw this.fail(`input ${i} is required`);
    return t;
  }

  optionalInput(i: number): Tensor | null {
    return this.has(i) ? (this.tensors[i] ?? null) : null;
  }
}

const noConstants: ConstantLookup = () => null;

/** `node`'s attributes read as an op reads them (for graph passes that rewrite the op). */
export const attrContext = (node: Node, opset: number): NodeContext => new BaseContext(node, opset, noConstants);

const plural = (n: number, word: string): string => (n === 1 ? word : `${word}s`);

function checkArity(node: Node): void {
  const def = getOp(node);
  const [lo, hi] = def.inputs;
  const given = node.inputs.length;
  if (given < lo || given > hi) throw new OpError(nodeLabel(node), `expects ${range(lo, hi)} ${plural(hi === Infinity ? lo : hi, 'input')}, got ${given}`);
  const [olo, ohi] = def.outputs;
  const outs = node.outputs.length;
  if (outs < olo || outs > ohi) throw new OpError(nodeLabel(node), `expects ${range(olo, ohi)} ${plural(ohi === Infinity ? olo : ohi, 'output')}, got ${outs}`);
}

function range(lo: number, hi: number): string {
  if (lo === hi) return String(lo);
  return hi === Infinity ? `at least ${lo}` : `${lo} to ${hi}`;
}

/**
 * `f`'s result; an error that is not already an OpError (one an IR constructor raised inside an
 * op) is wrapped in one that names the node, keeping the original as its cause.
 */
function named<T>(node: Node, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof OpError || !(e instanceof Error)) throw e;
    throw new OpError(nodeLabel(node), `${e.name}: ${e.message}`, { cause: e });
  }
}

/**
 * The types of `node`'s outputs, given the types of its inputs (by position; null where unknown)
 * and the values of those that are constants. Dims that depend on non-constant values are fresh
 * unknown symbols.
 */
export function inferNode(node: Node, opset: number, types: readonly (TensorType | null)[], constant: ConstantLookup = noConstants): TensorType[] {
  checkArity(node);
  node.inputs.forEach((v, i) => {
    if (v !== null && (types[i] ?? null) === null) throw new OpError(nodeLabel(node), `input ${i} has no type`);
  });
  const def = getOp(node);
  const out = named(node, () => def.infer(new InferCtx(node, opset, constant, types)));
  if (out.length < node.outputs.length) {
    throw new OpError(nodeLabel(node), `infers ${out.length} output types for ${node.outputs.length} outputs`);
  }
  return out.slice(0, node.outputs.length);
}

/**
 * The TE computes of `node` over the tensors of its inputs (null for an omitted input). Inputs that
 * decide output shapes (Reshape's shape, …) must be constants known to `constant`.
 */
export function computeNode(node: Node, opset: number, inputs: readonly (Tensor | null)[], constant: ConstantLookup = noConstants): Tensor[] {
  const types = inputs.map((t) => t && { dtype: t.dtype, shape: t.shape });
  const outTypes = inferNode(node, opset, types, constant).map((t, k): ConcreteType => {
    const shape = staticShape(t.shape);
    if (shape === null) throw new OpError(nodeLabel(node), `output ${k} has shape ${printType(t)} that the inputs do not decide: its shape inputs must be constant`);
    return { dtype: t.dtype, shape };
  });
  const def = getOp(node);
  const out = named(node, () => def.compute(new ComputeCtx(node, opset, constant, inputs, outTypes))).slice(0, node.outputs.length);
  outTypes.forEach((t, k) => {
    const c = out[k];
    const same = c !== undefined && c.dtype === t.dtype && c.shape.length === t.shape.length && c.shape.every((d, i) => d === t.shape[i]);
    if (!same) {
      const got = c === undefined ? 'nothing' : printType(c);
      throw new OpError(nodeLabel(node), `compute gives ${got} for output ${k}, inference gives ${printType(t)}`);
    }
  });
  return out;
}
