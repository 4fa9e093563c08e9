/**
 * @file Node attributes: a typed union per attribute kind, kept in a Map (attribute names come
 * from the model, so a plain object would let `__proto__` and friends through), and typed getters
 * for the op library that fail with a `GraphError` naming the node and the attribute.
 *
 * ONNX int attributes are int64; they are stored as numbers. Values beyond ±2^53 occur only as
 * "infinity" sentinels (Slice's INT64_MAX ends) and keep their sign and magnitude.
 */

import { GraphError } from './errors.js';
import type { Graph, Node } from './graph.js';
import { nodeLabel } from './graph.js';
import type { HostTensor } from './tensor.js';
import { quote } from './text.js';

/** The payload of each attribute kind. */
export interface AttrValues {
  int: number;
  float: number;
  string: string;
  tensor: HostTensor;
  graph: Graph;
  ints: readonly number[];
  floats: readonly number[];
  strings: readonly string[];
}

export type AttrKind = keyof AttrValues;
export type Attr = { [K in AttrKind]: { readonly kind: K; readonly value: AttrValues[K] } }[AttrKind];
export type Attrs = ReadonlyMap<string, Attr>;

/** Attribute constructors, for builders and tests: `attrs({ axis: int(1), pads: ints([1, 1]) })`. */
export const int = (value: number): Attr => ({ kind: 'int', value });
export const float = (value: number): Attr => ({ kind: 'float', value: Math.fround(value) });
export const string = (value: string): Attr => ({ kind: 'string', value });
export const ints = (value: readonly number[]): Attr => ({ kind: 'ints', value: [...value] });
export const floats = (value: readonly number[]): Attr => ({ kind: 'floats', value: value.map(Math.fround) });
export const strings = (value: readonly string[]): Attr => ({ kind: 'strings', value: [...value] });
export const tensor = (value: HostTensor): Attr => ({ kind: 'tensor', value });
export const graph = (value: Graph): Attr => ({ kind: 'graph', value });

export function attrs(entries: Readonly<Record<string, Attr>>): Attrs {
  return new Map(Object.entries(entries));
}

function lookup<K extends AttrKind>(node: Node, name: string, kind: K): AttrValues[K] | undefined {
  const a = node.attrs.get(name);
  if (a === undefined) return undefined;
  if (a.kind !== kind) throw new GraphError(nodeLabel(node), `attribute ${quote(name)} is ${a.kind}, expected ${kind}`);
  return a.value as AttrValues[K];
}

/**
 * The attribute `name` of kind `kind`; `fallback` when absent, or a GraphError when absent and
 * no fallback is given (a required attribute).
 */
export function getAttr<K extends AttrKind>(node: Node, name: string, kind: K, fallback?: AttrValues[K]): AttrValues[K] {
  const v = lookup(node, name, kind);
  if (v !== undefined) return v;
  if (fallback !== undefined) return fallback;
  throw new GraphError(nodeLabel(node), `missing required ${kind} attribute ${quote(name)}`);
}

/** The attribute `name` of kind `kind`, or undefined when absent. */
export function findAttr<K extends AttrKind>(node: Node, name: string, kind: K): AttrValues[K] | undefined {
  return lookup(node, name, kind);
}

/** The subgraphs held by a node's attributes, in attribute order. */
export function subgraphs(node: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of node.attrs.values()) if (a.kind === 'graph') out.push(a.value);
  return out;
}
