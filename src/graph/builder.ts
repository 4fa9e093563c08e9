/**
 * @file Building and rewriting graphs. Graphs are immutable, so a pass builds a new one: it walks
 * the old nodes in order and, for each, keeps it (`copy`), changes it, or emits replacements,
 * recording with `replace(old, new)` that later uses of a value now read another one. The builder
 * applies those substitutions to every later use — node inputs, graph outputs and the captures of
 * subgraphs — so a pass never rewires consumers by hand.
 *
 *   const b = GraphBuilder.from(g);                    // same inputs, initializers, opsets
 *   for (const n of g.nodes) {
 *     if (n.op === 'Identity' && n.inputs[0]) b.replace(n.outputs[0], n.inputs[0]);
 *     else b.copy(n);
 *   }
 *   return b.build(g.outputs);                         // outputs resolved, result verified
 */

import type { Attr, Attrs } from './attrs.js';
import type { Graph, Initializer, Node, Opsets, Value } from './graph.js';
import { makeNode, value } from './graph.js';
import type { HostTensor } from './tensor.js';
import type { TensorType } from './types.js';
import { tensorType } from './types.js';
import { verifyGraph } from './verify.js';

export interface OutputSpec {
  readonly name?: string;
  readonly type?: TensorType | null;
}

export interface NodeOptions {
  readonly domain?: string;
  readonly name?: string;
  readonly attrs?: Attrs;
  /** how many fresh untyped outputs, or one entry per output: a spec (fresh value) or a value to reuse */
  readonly outputs?: number | readonly (OutputSpec | Value)[];
}

export interface NodeChanges {
  readonly op?: string;
  readonly domain?: string;
  readonly inputs?: readonly (Value | null)[];
  readonly outputs?: readonly Value[];
  readonly attrs?: Attrs;
}

export class GraphBuilder {
  private readonly inputs: Value[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly nodes: Node[] = [];
  private readonly subst = new Map<number, Value>();

  constructor(
    readonly opsets: Opsets,
    readonly name = '',
  ) {}

  /** A builder with `g`'s name, opsets, inputs and initializers, and no nodes yet. */
  static from(g: Graph): GraphBuilder {
    const b = new GraphBuilder(g.opsets, g.name);
    b.inputs.push(...g.inputs);
    b.initializers.push(...g.initializers);
    return b;
  }

  input(name: string, type: TensorType | null): Value {
    const v = value(name, type);
    this.inputs.push(v);
    return v;
  }

  /** A new constant value holding `tensor`. */
  initializer(name: string, tensor: HostTensor): Value {
    const v = value(name, tensorType(tensor.dtype, tensor.shape));
    this.initializers.push({ value: v, tensor });
    return v;
  }

  /** Defines the existing value `v` as a constant (e.g. a node output that constant folding computed). */
  addInitializer(v: Value, tensor: HostTensor): Value {
    this.initializers.push({ value: v, tensor });
    return v;
  }

  /** Appends a new node; its inputs are resolved through the substitutions made so far. */
  node(op: string, inputs: readonly (Value | null)[], opts: NodeOptions = {}): Node {
    const specs = typeof opts.outputs === 'number' ? Array.from({ length: opts.outputs }, (): OutputSpec => ({})) : (opts.outputs ?? [{}]);
    const outputs = specs.map((s) => (isValue(s) ? s : value(s.name ?? '', s.type ?? null)));
    const n = makeNode({
      op,
      domain: opts.domain,
      name: opts.name,
      inputs: inputs.map((v) => v && this.resolve(v)),
      outputs,
      attrs: opts.attrs && this.resolveAttrs(opts.attrs),
    });
    this.nodes.push(n);
    return n;
  }

  /**
   * Appends `n` (same id), with `changes` applied and every use resolved through the
   * substitutions. A changed output (e.g. a retyped version) replaces the old one in later uses.
   * When nothing changes, the very same node object is kept.
   */
  copy(n: Node, changes: NodeChanges = {}): Node {
    const inputs = (changes.inputs ?? n.inputs).map((v) => v && this.resolve(v));
    const outputs = changes.outputs ?? n.outputs;
    const attrs = this.resolveAttrs(changes.attrs ?? n.attrs);
    outputs.forEach((o, i) => {
      const old = n.outputs[i];
      if (old !== undefined && old !== o) this.replace(old, o);
    });
    const same =
      (changes.op ?? n.op) === n.op &&
      (changes.domain ?? n.domain) === n.domain &&
      attrs === n.attrs &&
      sameList(inputs, n.inputs) &&
      sameList(outputs, n.outputs);
    const out = same ? n : makeNode({ ...n, op: changes.op ?? n.op, domain: changes.domain ?? n.domain, inputs, outputs, attrs });
    this.nodes.push(out);
    return out;
  }

  /** Later uses of `old` read `by` instead. */
  replace(old: Value, by: Value): void {
    const target = this.resolve(by);
    if (target !== old) this.subst.set(old.id, target);
  }

  /** The value that uses of `v` read now. */
  resolve(v: Value): Value {
    let cur = v;
    for (;;) {
      const next = this.subst.get(cur.id);
      if (next === undefined || next === cur) return cur;
      cur = next;
    }
  }

  /** The finished graph with `outputs` (resolved); verified unless `verify` is false. */
  build(outputs: readonly Value[], verify = true): Graph {
    const g: Graph = {
      name: this.name,
      inputs: [...this.inputs],
      initializers: [...this.initializers],
      nodes: [...this.nodes],
      outputs: outputs.map((v) => this.resolve(v)),
      opsets: this.opsets,
    };
    if (verify) verifyGraph(g);
    return g;
  }

  /**
   * A subgraph (an If branch, a Loop body). It may use values of enclosing graphs, so it is
   * verified as part of the graph that holds it rather than here.
   */
  buildSubgraph(outputs: readonly Value[]): Graph {
    return this.build(outputs, false);
  }

  /** Attributes with the substitutions applied to the captures of their subgraphs. */
  private resolveAttrs(a: Attrs): Attrs {
    if (this.subst.size === 0) return a;
    return mapGraphAttrs(a, (g) => mapUses(g, (x) => this.resolve(x)));
  }
}

function isValue(s: OutputSpec | Value): s is Value {
  return 'id' in s;
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** `a` with `f` applied to each subgraph; `a` itself when `f` changes none. */
function mapGraphAttrs(a: Attrs, f: (g: Graph) => Graph): Attrs {
  let out: Map<string, Attr> | null = null;
  for (const [k, v] of a) {
    if (v.kind !== 'graph') continue;
    const sub = f(v.value);
    if (sub !== v.value) (out ??= new Map(a)).set(k, { kind: 'graph', value: sub });
  }
  return out ?? a;
}

/**
 * `g` with every use of a value (node inputs, outputs, captures of nested subgraphs) mapped by
 * `f`; definitions are kept. Returns `g` itself when `f` changes nothing.
 */
export function mapUses(g: Graph, f: (v: Value) => Value): Graph {
  let changed = false;
  const nodes = g.nodes.map((n) => {
    const inputs = n.inputs.map((v) => v && f(v));
    const attrs = mapGraphAttrs(n.attrs, (sub) => mapUses(sub, f));
    if (attrs === n.attrs && sameList(inputs, n.inputs)) return n;
    changed = true;
    return makeNode({ ...n, inputs, attrs });
  });
  const outputs = g.outputs.map(f);
  return changed || !sameList(outputs, g.outputs) ? { ...g, nodes, outputs } : g;
}
