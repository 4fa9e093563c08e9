/**
 * @file The graph IR: a dataflow graph of operator nodes over SSA values, as a frontend reads it
 * and as graph passes rewrite it. Everything is immutable plain data:
 *
 * - a `Value` is defined exactly once — as a graph input (a runtime feed), an initializer (a
 *   constant host tensor) or a node output — and carries its tensor type once known (`null` until
 *   type inference fills it in). Its identity is its `id`: a pass that only refines a type makes a
 *   new object with the same id (`withType`).
 * - a `Node` applies an op (`op`, `domain`, typed attributes) to input values (`null` for an
 *   omitted optional input) and defines its output values. Ops keep the frontend's names; the
 *   op registry (`src/ops`) gives them meaning.
 * - a `Graph` lists its inputs, initializers, nodes in topological order and outputs, and the
 *   opset version of each operator domain it uses. Subgraphs (If/Loop/Scan bodies) are graphs in
 *   `graph` attributes; they may use values of the enclosing graphs, which they do not redefine.
 *
 * Definitions are not stored on values (that would make every rewrite rebuild all consumers);
 * `indexGraph` (uses.ts) answers producer/consumer/constant questions for one graph.
 * Names (`Value.name`, `Node.name`, `Graph.name`) come from the model: they are untrusted, kept
 * only as hints, and shown only through `quote`/`safeIdent`.
 */

import { freshId } from '../ir/expr.js';
import type { Attrs } from './attrs.js';
import type { HostTensor } from './tensor.js';
import type { TensorType } from './types.js';
import { quote, word } from './text.js';

export interface Value {
  readonly id: number;
  /** the model's name for the value (untrusted), '' when it has none */
  readonly name: string;
  readonly type: TensorType | null;
}

export interface Node {
  readonly id: number;
  readonly op: string;
  /** operator domain, '' for the default ONNX domain (ai.onnx) */
  readonly domain: string;
  /** the model's name for the node (untrusted) */
  readonly name: string;
  /** positional inputs; `null` is an omitted optional input */
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs: Attrs;
}

export interface Initializer {
  readonly value: Value;
  readonly tensor: HostTensor;
}

/** Operator domain ('' for ai.onnx) → opset version. */
export type Opsets = ReadonlyMap<string, number>;

export interface Graph {
  /** the model's name for the graph (untrusted) */
  readonly name: string;
  /** runtime feeds, in order */
  readonly inputs: readonly Value[];
  readonly initializers: readonly Initializer[];
  /** in topological order: a node comes after the definitions of everything it uses */
  readonly nodes: readonly Node[];
  readonly outputs: readonly Value[];
  readonly opsets: Opsets;
}

/** A value with a fresh id. */
export function value(name: string, type: TensorType | null): Value {
  return { id: freshId(), name, type };
}

/** The same value (same id) with a new type. */
export function withType(v: Value, type: TensorType | null): Value {
  return { id: v.id, name: v.name, type };
}

export interface NodeSpec {
  readonly op: string;
  readonly domain?: string;
  readonly name?: string;
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs?: Attrs;
  /** reuse this id (a rewritten node that stays the same node) */
  readonly id?: number;
}

export function makeNode(spec: NodeSpec): Node {
  return {
    id: spec.id ?? freshId(),
    op: spec.op,
    domain: spec.domain ?? '',
    name: spec.name ?? '',
    inputs: [...spec.inputs],
    outputs: [...spec.outputs],
    attrs: spec.attrs ?? new Map(),
  };
}

/** `node "conv1" (Conv)`, or `node #12 (Conv)` when unnamed: the place named by errors. */
export function nodeLabel(n: Node): string {
  const op = n.domain === '' ? word(n.op) : `${word(n.domain)}.${word(n.op)}`;
  return n.name === '' ? `node #${n.id} (${op})` : `node ${quote(n.name)} (${op})`;
}

/** `value "x"`, or `value #7` when unnamed. */
export function valueLabel(v: Value): string {
  return v.name === '' ? `value #${v.id}` : `value ${quote(v.name)}`;
}
