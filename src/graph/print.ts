/**
 * @file The graph printer: one line per definition, subgraphs indented under their node.
 *
 *   opset ai.onnx=13
 *   %x_0: float32[1, 3, h, w] = input
 *   %w_1: float32[64, 3, 3, 3] = const {…}
 *   %b_2: float32[2] = const {0.5, -1}
 *   %y_3: float32[1, 64, h, w] = Conv(%x_0, %w_1, %b_2) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
 *   %4 = Relu(%y_3)
 *   return %4
 *
 * Values are numbered in order of definition across the whole graph, subgraphs included (they
 * can use outer values), so the text does not depend on how ids were allocated. With `names`
 * (the default) a value's number follows a sanitized hint of its model name; nothing else from
 * the model is printed raw. An omitted optional input is `_`; an unknown type is left out;
 * attributes are sorted by name; tensors with at most 8 elements show their values.
 */

import type { Attr } from './attrs.js';
import { safeIdent } from '../ir/names.js';
import type { Graph, Node, Value } from './graph.js';
import type { HostTensor } from './tensor.js';
import { quote, word } from './text.js';
import { printType } from './types.js';

export interface PrintOptions {
  /** follow each value number with a sanitized hint of its model name (default true) */
  readonly names?: boolean;
}

const SHOWN_ELEMENTS = 8;

export function printGraph(g: Graph, opts: PrintOptions = {}): string {
  const p = new Printer(opts.names ?? true);
  const opsets = [...g.opsets].map(([d, v]) => `${d === '' ? 'ai.onnx' : word(d)}=${v}`);
  if (opsets.length > 0) p.lines.push(`opset ${opsets.join(', ')}`);
  p.graph(g, '');
  return p.lines.join('\n');
}

class Printer {
  readonly lines: string[] = [];
  private readonly names = new Map<number, string>();

  constructor(private readonly hints: boolean) {}

  graph(g: Graph, indent: string): void {
    for (const v of g.inputs) this.lines.push(`${indent}${this.def(v)} = input`);
    for (const { value, tensor } of g.initializers) this.lines.push(`${indent}${this.def(value)} = const ${tensorData(tensor)}`);
    for (const n of g.nodes) this.node(n, indent);
    this.lines.push(`${indent}return ${g.outputs.map((v) => this.ref(v)).join(', ')}`);
  }

  private node(n: Node, indent: string): void {
    const op = n.domain === '' ? word(n.op) : `${word(n.domain)}::${word(n.op)}`;
    const args = n.inputs.map((v) => (v === null ? '_' : this.ref(v))).join(', ');
    const entries = [...n.attrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const plain = entries.flatMap(([k, a]) => (a.kind === 'graph' ? [] : [`${word(k)}=${attrText(a)}`]));
    const lhs = n.outputs.map((v) => this.def(v)).join(', ');
    const call = `${op}(${args})${plain.length > 0 ? ` {${plain.join(', ')}}` : ''}`;
    this.lines.push(`${indent}${lhs === '' ? '' : `${lhs} = `}${call}`);
    for (const [k, a] of entries) {
      if (a.kind !== 'graph') continue;
      this.lines.push(`${indent}  ${word(k)}:`);
      this.graph(a.value, `${indent}    `);
    }
  }

  /** `%name_3: float32[2]`, or without the type when it is unknown. */
  private def(v: Value): string {
    return v.type === null ? this.ref(v) : `${this.ref(v)}: ${printType(v.type)}`;
  }

  private ref(v: Value): string {
    let s = this.names.get(v.id);
    if (s === undefined) {
      const n = this.names.size;
      s = `%${this.hints && v.name !== '' ? safeIdent(v.name, n) : String(n)}`;
      this.names.set(v.id, s);
    }
    return s;
  }
}

function attrText(a: Exclude<Attr, { kind: 'graph' }>): string {
  switch (a.kind) {
    case 'int':
      return String(a.value);
    case 'float':
      return f32(a.value);
    case 'string':
      return quote(a.value);
    case 'ints':
      return `[${a.value.join(', ')}]`;
    case 'floats':
      return `[${a.value.map(f32).join(', ')}]`;
    case 'strings':
      return `[${a.value.map(quote).join(', ')}]`;
    case 'tensor':
      return `${printType(a.value)}${tensorData(a.value)}`;
  }
}

/** `{1, 2, 3}` for small tensors, `{…}` for the rest. */
function tensorData(t: HostTensor): string {
  if (t.data.length > SHOWN_ELEMENTS) return '{…}';
  const items: string[] = [];
  for (const x of t.data) {
    if (typeof x === 'bigint') items.push(String(x));
    else if (t.dtype === 'bool') items.push(x ? 'true' : 'false');
    else items.push(t.dtype === 'float32' ? f32(x) : num(x));
  }
  return `{${items.join(', ')}}`;
}

function num(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return Object.is(x, -0) ? '-0' : String(x);
}

/** The shortest decimal that reads back as the same float32. */
function f32(x: number): string {
  if (!Number.isFinite(x) || x === 0) return num(x);
  for (let p = 1; p <= 9; p++) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) === x) return String(s);
  }
  return String(x);
}
