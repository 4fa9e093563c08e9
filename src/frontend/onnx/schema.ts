/**
 * @file The subset of the ONNX protobuf schema kiln reads, described with protobufjs' reflection
 * API (field names and numbers follow the public ONNX IR specification), plus TypeScript views of
 * the decoded messages. Fields kiln ignores (doc strings, metadata, functions, training info) are
 * left out: the decoder skips unknown fields. Sub-messages whose content kiln never reads — only
 * whether they are there, to refuse them (sequence/map/optional types, segments, sparse
 * initializers) — are declared as `bytes`, which is the same wire format. int64 fields decode as
 * `Long`-like {low, high} pairs; `decode.ts` turns them into numbers or bigints.
 */

import protobuf from 'protobufjs';

const { Field, Root, Type } = protobuf;

/** An int64 as protobufjs decodes it (a long.js `Long`). */
export interface Int64 {
  readonly low: number;
  readonly high: number;
}

/** Bytes fields decode as a Uint8Array view, or as an empty plain array when absent. */
export type Bytes = Uint8Array | readonly never[];

/** Whether an optional field was present on the wire (decoded fields are own properties). */
export function present<T extends object>(msg: T, field: keyof T & string): boolean {
  return Object.prototype.hasOwnProperty.call(msg, field);
}

export interface StringEntryMsg {
  readonly key: string;
  readonly value: string;
}

export interface TensorMsg {
  readonly dims: readonly Int64[];
  readonly dataType: number;
  readonly floatData: readonly number[];
  readonly int32Data: readonly number[];
  readonly int64Data: readonly Int64[];
  readonly name: string;
  readonly rawData: Bytes;
  readonly doubleData: readonly number[];
  readonly externalData: readonly StringEntryMsg[];
  readonly dataLocation: number;
  /** presence only */
  readonly segment: Bytes;
}

export interface DimMsg {
  readonly dimValue: Int64;
  readonly dimParam: string;
}

export interface TypeMsg {
  readonly tensorType: { readonly elemType: number; readonly shape: { readonly dim: readonly DimMsg[] } | null } | null;
  /** presence only */
  readonly sequenceType: Bytes;
  readonly mapType: Bytes;
  readonly optionalType: Bytes;
  readonly sparseTensorType: Bytes;
}

export interface ValueInfoMsg {
  readonly name: string;
  readonly type: TypeMsg | null;
}

export interface AttributeMsg {
  readonly name: string;
  readonly refAttrName: string;
  readonly type: number;
  readonly f: number;
  readonly i: Int64;
  readonly s: Bytes;
  readonly t: TensorMsg | null;
  readonly g: GraphMsg | null;
  readonly floats: readonly number[];
  readonly ints: readonly Int64[];
  readonly strings: readonly Bytes[];
}

export interface NodeMsg {
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly attribute: readonly AttributeMsg[];
}

export interface GraphMsg {
  readonly node: readonly NodeMsg[];
  readonly name: string;
  readonly initializer: readonly TensorMsg[];
  /** presence only */
  readonly sparseInitializer: readonly Bytes[];
  readonly input: readonly ValueInfoMsg[];
  readonly output: readonly ValueInfoMsg[];
  readonly valueInfo: readonly ValueInfoMsg[];
}

export interface OpsetMsg {
  readonly domain: string;
  readonly version: Int64;
}

export interface ModelMsg {
  readonly graph: GraphMsg | null;
  readonly opsetImport: readonly OpsetMsg[];
}

type FieldSpec = readonly [name: string, id: number, type: string, rule?: 'repeated'];

function message(name: string, fields: readonly FieldSpec[]): protobuf.Type {
  const t = new Type(name);
  for (const [fname, id, type, rule] of fields) t.add(new Field(fname, id, type, rule));
  return t;
}

function buildRoot(): protobuf.Root {
  const tensorShape = message('TensorShapeProto', [['dim', 1, 'Dimension', 'repeated']]);
  tensorShape.add(message('Dimension', [['dimValue', 1, 'int64'], ['dimParam', 2, 'string']]));
  const typeProto = message('TypeProto', [
    ['tensorType', 1, 'TensorT'],
    ['sequenceType', 4, 'bytes'],
    ['mapType', 5, 'bytes'],
    ['optionalType', 9, 'bytes'],
    ['sparseTensorType', 8, 'bytes'],
  ]);
  typeProto.add(message('TensorT', [['elemType', 1, 'int32'], ['shape', 2, 'TensorShapeProto']]));
  const types = [
    tensorShape,
    typeProto,
    message('StringStringEntryProto', [['key', 1, 'string'], ['value', 2, 'string']]),
    message('TensorProto', [
      ['dims', 1, 'int64', 'repeated'],
      ['dataType', 2, 'int32'],
      ['segment', 3, 'bytes'],
      ['floatData', 4, 'float', 'repeated'],
      ['int32Data', 5, 'int32', 'repeated'],
      ['int64Data', 7, 'int64', 'repeated'],
      ['name', 8, 'string'],
      ['rawData', 9, 'bytes'],
      ['doubleData', 10, 'double', 'repeated'],
      ['externalData', 13, 'StringStringEntryProto', 'repeated'],
      ['dataLocation', 14, 'int32'],
    ]),
    message('ValueInfoProto', [['name', 1, 'string'], ['type', 2, 'TypeProto']]),
    message('AttributeProto', [
      ['name', 1, 'string'],
      ['refAttrName', 21, 'string'],
      ['type', 20, 'int32'],
      ['f', 2, 'float'],
      ['i', 3, 'int64'],
      ['s', 4, 'bytes'],
      ['t', 5, 'TensorProto'],
      ['g', 6, 'GraphProto'],
      ['floats', 7, 'float', 'repeated'],
      ['ints', 8, 'int64', 'repeated'],
      ['strings', 9, 'bytes', 'repeated'],
    ]),
    message('NodeProto', [
      ['input', 1, 'string', 'repeated'],
      ['output', 2, 'string', 'repeated'],
      ['name', 3, 'string'],
      ['opType', 4, 'string'],
      ['domain', 7, 'string'],
      ['attribute', 5, 'AttributeProto', 'repeated'],
    ]),
    message('GraphProto', [
      ['node', 1, 'NodeProto', 'repeated'],
      ['name', 2, 'string'],
      ['initializer', 5, 'TensorProto', 'repeated'],
      ['sparseInitializer', 15, 'bytes', 'repeated'],
      ['input', 11, 'ValueInfoProto', 'repeated'],
      ['output', 12, 'ValueInfoProto', 'repeated'],
      ['valueInfo', 13, 'ValueInfoProto', 'repeated'],
    ]),
    message('OperatorSetIdProto', [['domain', 1, 'string'], ['version', 2, 'int64']]),
    message('ModelProto', [
      ['graph', 7, 'GraphProto'],
      ['opsetImport', 8, 'OperatorSetIdProto', 'repeated'],
    ]),
  ];
  const root = new Root();
  for (const t of types) root.add(t);
  return root;
}

const root = buildRoot();
export const ModelProto = root.lookupType('ModelProto');
export const TensorProto = root.lookupType('TensorProto');
