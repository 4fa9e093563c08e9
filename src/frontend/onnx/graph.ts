/**
 * @file GraphProto → Graph. ONNX wires nodes by name; this resolves names to values scope by
 * scope: a subgraph sees the values its enclosing graphs defined before its node, and may define
 * its own (shadowing is tolerated — kiln values are identified by id, not name). Along the way:
 *
 * - initializers become constants; graph inputs that are also initializers are constants too
 *   (older exporters list every weight as an input), not runtime feeds;
 * - an empty input name is an omitted optional input (`null`); an empty output name in the
 *   middle is an unused optional output (a fresh unnamed value), and trailing ones are dropped;
 * - types come from inputs, outputs and value_info; values without one stay untyped (`null`)
 *   for type inference, and an unknown dimension becomes a fresh `?N` symbol;
 * - nodes must already be in topological order, as ONNX requires.
 */

import type { Graph, Initializer, Node, Opsets, Value } from '../../graph/graph.js';
import { makeNode, value } from '../../graph/graph.js';
import { quote, word } from '../../graph/text.js';
import type { Dim, TensorType } from '../../graph/types.js';
import { tensorType } from '../../graph/types.js';
import { convertAttributes } from './attributes.js';
import { dtypeOf, int64ToNumber } from './decode.js';
import { OnnxError } from './errors.js';
import type { GraphMsg, NodeMsg, TypeMsg } from './schema.js';
import { present } from './schema.js';
import { tensorFromProto } from './tensor.js';

export interface ReadContext {
  readonly baseDir: string | null;
  /** told each external data file read */
  readonly onExternal?: (file: string) => void;
  readonly opsets: Opsets;
  /** counter for the fresh symbols of unknown dims */
  unknownDims: number;
}

class Scope {
  private readonly values = new Map<string, Value>();
  constructor(private readonly parent: Scope | null) {}

  lookup(name: string): Value | undefined {
    return this.values.get(name) ?? this.parent?.lookup(name);
  }

  define(name: string, v: Value, where: string): void {
    if (this.values.has(name)) throw new OnnxError(where, 'is defined twice');
    this.values.set(name, v);
  }
}

/** Reads a model's main graph. */
export function readMainGraph(g: GraphMsg, ctx: ReadContext): Graph {
  return readGraph(g, ctx, null, '');
}

/** Reads `g` in a scope below `outer`; `prefix` names the enclosing node and attribute. */
function readGraph(g: GraphMsg, ctx: ReadContext, outer: Scope | null, prefix: string): Graph {
  return new GraphReader(g, ctx, new Scope(outer), prefix).read();
}

class GraphReader {
  private readonly declared = new Map<string, TypeMsg | null>();
  private readonly producedLater = new Set<string>();

  constructor(
    private readonly g: GraphMsg,
    private readonly ctx: ReadContext,
    private readonly scope: Scope,
    private readonly prefix: string,
  ) {
    for (const vi of [...g.valueInfo, ...g.input, ...g.output]) this.declared.set(vi.name, vi.type);
    for (const n of g.node) for (const o of n.output) this.producedLater.add(o);
  }

  read(): Graph {
    const { g, prefix } = this;
    if (g.sparseInitializer.length > 0) {
      throw new OnnxError(`${prefix}graph`, 'sparse initializers are not supported', 'unsupported');
    }
    const initializers = g.initializer.map((t, i): Initializer => {
      const where = `${prefix}initializer ${t.name === '' ? String(i) : quote(t.name)}`;
      if (t.name === '') throw new OnnxError(where, 'has no name');
      const tensor = tensorFromProto(t, where, this.ctx.baseDir, this.ctx.onExternal);
      const v = value(t.name, tensorType(tensor.dtype, tensor.shape));
      this.scope.define(t.name, v, where);
      return { value: v, tensor };
    });
    const constNames = new Set(g.initializer.map((t) => t.name));
    const inputs = g.input
      .filter((vi) => !constNames.has(vi.name))
      .map((vi) => this.define(vi.name, `${prefix}input ${quote(vi.name)}`));
    const nodes = g.node.map((n, i) => this.node(n, i));
    const outputs = g.output.map((vi) => {
      const v = this.scope.lookup(vi.name);
      if (v === undefined) throw new OnnxError(`${prefix}output ${quote(vi.name)}`, 'is not defined by the graph');
      return v;
    });
    return { name: g.name, inputs, initializers, nodes, outputs, opsets: this.ctx.opsets };
  }

  /** A new value named `name`, typed from its declaration, defined in this scope. */
  private define(name: string, where: string): Value {
    if (name === '') throw new OnnxError(where, 'has no name');
    const v = value(name, this.typeOf(name, where));
    this.scope.define(name, v, where);
    this.producedLater.delete(name);
    return v;
  }

  private node(n: NodeMsg, index: number): Node {
    const domain = n.domain === 'ai.onnx' ? '' : n.domain;
    const op = domain === '' ? word(n.opType) : `${word(domain)}.${word(n.opType)}`;
    const where = `${this.prefix}node ${n.name === '' ? String(index) : quote(n.name)} (${op})`;
    if (!this.ctx.opsets.has(domain)) throw new OnnxError(where, `domain ${quote(domain)} has no opset import`);
    const inputs = n.input.map((name) => (name === '' ? null : this.use(name, where)));
    const attrs = convertAttributes(n.attribute, where, {
      baseDir: this.ctx.baseDir,
      onExternal: this.ctx.onExternal,
      subgraph: (sub, at) => readGraph(sub, this.ctx, this.scope, `${at} > `),
    });
    const names = [...n.output];
    while (names.length > 0 && names[names.length - 1] === '') names.pop();
    const outputs = names.map((name) => (name === '' ? value('', null) : this.define(name, `${where} > output ${quote(name)}`)));
    return makeNode({ op: n.opType, domain, name: n.name, inputs, outputs, attrs });
  }

  private use(name: string, where: string): Value {
    const v = this.scope.lookup(name);
    if (v !== undefined) return v;
    const why = this.producedLater.has(name) ? 'is used before the node that defines it (nodes must be in topological order)' : 'is not defined';
    throw new OnnxError(where, `input ${quote(name)} ${why}`);
  }

  private typeOf(name: string, where: string): TensorType | null {
    const t = this.declared.get(name);
    return t === undefined ? null : convertType(t, where, this.ctx);
  }
}

/** A declared type as a tensor type; null when unknown (no elem type, or no shape). */
function convertType(t: TypeMsg | null, where: string, ctx: ReadContext): TensorType | null {
  if (t === null) return null;
  const kinds = [['sequenceType', 'sequence'], ['mapType', 'map'], ['optionalType', 'optional'], ['sparseTensorType', 'sparse tensor']] as const;
  const other = kinds.find(([field]) => present(t, field))?.[1] ?? null;
  if (other !== null) throw new OnnxError(where, `${other} types are not supported (kiln handles tensors)`, 'unsupported');
  const tt = t.tensorType;
  if (tt === null || tt.elemType === 0) return null;
  const dtype = dtypeOf(tt.elemType, where);
  if (tt.shape === null) return null;
  const shape = tt.shape.dim.map((d): Dim => {
    if (present(d, 'dimValue')) {
      const n = int64ToNumber(d.dimValue);
      if (Number.isSafeInteger(n) && n >= 0) return n;
    } else if (d.dimParam !== '') {
      return d.dimParam;
    }
    return `?${++ctx.unknownDims}`;
  });
  return tensorType(dtype, shape);
}
