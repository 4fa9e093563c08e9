/**
 * @file The subset of the ONNX protobuf schema kiln reads, described with protobufjs' reflection
 * API (field names and numbers follow the public ONNX IR specification), plus TypeScript views of
 * the decoded messages. Fields kiln ignores (doc strings, metadata, training info) are left out:
 * the decoder skips unknown fields, so they cost nothing. int64 fields decode as `Long`-like
 * {low, high} pairs; `decode.ts` turns them into numbers or bigints.
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

export interface StringEntryMsg {
  readonly key: string;
  readonly value: string;
}

export interface TensorMsg {
  readonly dims: readonly Int64[];
  readonly dataType: number;
  readonly floatData: readonly number[];
  readonly int32Data: readonly number[];
  readonly stringData: readonly Bytes[];
  readonly int64Data: readonly Int64[];
  readonly name: string;
  readonly rawData: Bytes;
  readonly doubleData: readonly number[];
  readonly uint64Data: readonly Int64[];
  readonly externalData: readonly StringEntryMsg[];
  readonly dataLocation: number;
  readonly segment: object | null;
}

export interface SparseTensorMsg {
  readonly values: TensorMsg | null;
  readonly indices: TensorMsg | null;
  readonly dims: readonly Int64[];
}

export interface DimMsg {
  readonly dimValue?: Int64;
  readonly dimParam?: string;
}

export interface TypeMsg {
  readonly tensorType: { readonly elemType: number; readonly shape: { readonly dim: readonly DimMsg[] } | null } | null;
  readonly sequenceType: object | null;
  readonly mapType: object | null;
  readonly optionalType: object | null;
  readonly sparseTensorType: object | null;
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
  readonly sparseTensor: SparseTensorMsg | null;
  readonly floats: readonly number[];
  readonly ints: readonly Int64[];
  readonly strings: readonly Bytes[];
  readonly tensors: readonly TensorMsg[];
  readonly graphs: readonly GraphMsg[];
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
  readonly sparseInitializer: readonly SparseTensorMsg[];
  readonly input: readonly ValueInfoMsg[];
  readonly output: readonly ValueInfoMsg[];
  readonly valueInfo: readonly ValueInfoMsg[];
}

export interface OpsetMsg {
  readonly domain: string;
  readonly version: Int64;
}

export interface ModelMsg {
  readonly irVersion: Int64;
  readonly producerName: string;
  readonly graph: GraphMsg | null;
  readonly opsetImport: readonly OpsetMsg[];
  readonly functions: readonly object[];
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
    ['sequenceType', 4, 'ElemT'],
    ['mapType', 5, 'MapT'],
    ['optionalType', 9, 'ElemT'],
    ['sparseTensorType', 8, 'TensorT'],
  ]);
  typeProto.add(message('TensorT', [['elemType', 1, 'int32'], ['shape', 2, 'TensorShapeProto']]));
  typeProto.add(message('ElemT', [['elemType', 1, 'TypeProto']]));
  typeProto.add(message('MapT', [['keyType', 1, 'int32'], ['valueType', 2, 'TypeProto']]));
  const types = [
    tensorShape,
    typeProto,
    message('StringStringEntryProto', [['key', 1, 'string'], ['value', 2, 'string']]),
    message('Segment', [['begin', 1, 'int64'], ['end', 2, 'int64']]),
    message('TensorProto', [
      ['dims', 1, 'int64', 'repeated'],
      ['dataType', 2, 'int32'],
      ['segment', 3, 'Segment'],
      ['floatData', 4, 'float', 'repeated'],
      ['int32Data', 5, 'int32', 'repeated'],
      ['stringData', 6, 'bytes', 'repeated'],
      ['int64Data', 7, 'int64', 'repeated'],
      ['name', 8, 'string'],
      ['rawData', 9, 'bytes'],
      ['doubleData', 10, 'double', 'repeated'],
      ['uint64Data', 11, 'uint64', 'repeated'],
      ['externalData', 13, 'StringStringEntryProto', 'repeated'],
      ['dataLocation', 14, 'int32'],
    ]),
    message('SparseTensorProto', [
      ['values', 1, 'TensorProto'],
      ['indices', 2, 'TensorProto'],
      ['dims', 3, 'int64', 'repeated'],
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
      ['sparseTensor', 22, 'SparseTensorProto'],
      ['floats', 7, 'float', 'repeated'],
      ['ints', 8, 'int64', 'repeated'],
      ['strings', 9, 'bytes', 'repeated'],
      ['tensors', 10, 'TensorProto', 'repeated'],
      ['graphs', 11, 'GraphProto', 'repeated'],
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
      ['sparseInitializer', 15, 'SparseTensorProto', 'repeated'],
      ['input', 11, 'ValueInfoProto', 'repeated'],
      ['output', 12, 'ValueInfoProto', 'repeated'],
      ['valueInfo', 13, 'ValueInfoProto', 'repeated'],
    ]),
    message('OperatorSetIdProto', [['domain', 1, 'string'], ['version', 2, 'int64']]),
    message('FunctionProto', [['name', 1, 'string'], ['domain', 10, 'string']]),
    message('ModelProto', [
      ['irVersion', 1, 'int64'],
      ['producerName', 2, 'string'],
      ['graph', 7, 'GraphProto'],
      ['opsetImport', 8, 'OperatorSetIdProto', 'repeated'],
      ['functions', 25, 'FunctionProto', 'repeated'],
    ]),
  ];
  const root = new Root();
  for (const t of types) root.add(t);
  return root;
}

const root = buildRoot();
export const ModelProto = root.lookupType('ModelProto');
export const TensorProto = root.lookupType('TensorProto');
