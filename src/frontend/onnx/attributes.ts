/**
 * @file AttributeProto → typed attributes. The attribute's declared type picks the field; very
 * old files leave the type unset, so it is then inferred from the field that is present. Graph
 * attributes (If/Loop/Scan bodies) are converted by the caller's `subgraph` callback, which
 * knows the enclosing scope. Kinds no standard kiln op takes (TENSORS, GRAPHS, sparse tensors,
 * type protos) and references to function attributes are refused as unsupported.
 */

import type { Attr, Attrs } from '../../graph/attrs.js';
import type { Graph } from '../../graph/graph.js';
import { quote } from '../../graph/text.js';
import { int64ToNumber, text } from './decode.js';
import { OnnxError } from './errors.js';
import type { AttributeMsg, GraphMsg } from './schema.js';
import { present } from './schema.js';
import { tensorFromProto } from './tensor.js';

export interface AttrContext {
  readonly baseDir: string | null;
  /** told each external data file read */
  readonly onExternal?: (file: string) => void;
  /** converts a subgraph in the scope of the node that holds it; `where` names the attribute */
  subgraph(g: GraphMsg, where: string): Graph;
}

const TYPE_NAMES = [
  'UNDEFINED', 'FLOAT', 'INT', 'STRING', 'TENSOR', 'GRAPH', 'FLOATS', 'INTS', 'STRINGS',
  'TENSORS', 'GRAPHS', 'SPARSE_TENSOR', 'SPARSE_TENSORS', 'TYPE_PROTO', 'TYPE_PROTOS',
];
const [FLOAT, INT, STRING, TENSOR, GRAPH, FLOATS, INTS, STRINGS] = [1, 2, 3, 4, 5, 6, 7, 8];

/** The type of an attribute written without one (files from before the field existed). */
function inferType(a: AttributeMsg): number {
  if (a.floats.length > 0) return FLOATS;
  if (a.ints.length > 0) return INTS;
  if (a.strings.length > 0) return STRINGS;
  if (a.t !== null) return TENSOR;
  if (a.g !== null) return GRAPH;
  if (present(a, 's')) return STRING;
  if (present(a, 'f')) return FLOAT;
  if (present(a, 'i')) return INT;
  return 0;
}

function convert(a: AttributeMsg, where: string, ctx: AttrContext): Attr {
  const type = a.type === 0 ? inferType(a) : a.type;
  switch (type) {
    case FLOAT:
      return { kind: 'float', value: a.f };
    case INT:
      return { kind: 'int', value: int64ToNumber(a.i) };
    case STRING:
      return { kind: 'string', value: text(a.s) };
    case FLOATS:
      return { kind: 'floats', value: [...a.floats] };
    case INTS:
      return { kind: 'ints', value: a.ints.map(int64ToNumber) };
    case STRINGS:
      return { kind: 'strings', value: a.strings.map(text) };
    case TENSOR:
      if (a.t === null) throw new OnnxError(where, 'TENSOR attribute has no tensor');
      return { kind: 'tensor', value: tensorFromProto(a.t, where, ctx.baseDir, ctx.onExternal) };
    case GRAPH:
      if (a.g === null) throw new OnnxError(where, 'GRAPH attribute has no graph');
      return { kind: 'graph', value: ctx.subgraph(a.g, where) };
    default: {
      const name = TYPE_NAMES[type] ?? `code ${type}`;
      throw new OnnxError(where, `attribute type ${name} is not supported`, type < TYPE_NAMES.length ? 'unsupported' : 'malformed');
    }
  }
}

/** A node's attributes; `where` names the node. */
export function convertAttributes(list: readonly AttributeMsg[], where: string, ctx: AttrContext): Attrs {
  const out = new Map<string, Attr>();
  for (const a of list) {
    const at = `${where} > attribute ${quote(a.name)}`;
    if (a.refAttrName !== '') throw new OnnxError(at, 'refers to a function attribute, which only functions may do', 'unsupported');
    if (out.has(a.name)) throw new OnnxError(at, 'is given twice');
    out.set(a.name, convert(a, at, ctx));
  }
  return out;
}
