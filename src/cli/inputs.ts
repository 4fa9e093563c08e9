/**
 * @file The CLI's model inputs: `--input NAME=1x3x640x640` (seeded random data of that shape) or
 * `--input NAME=file.pb` (a serialized TensorProto, as the ONNX test data sets store them). An
 * input whose declared shape is fully static needs no `--input`. Random data is seeded, so two
 * runs (and kiln and its peer in `compare`) see the same numbers.
 */

import fs from 'node:fs';
import { Tensor, fromHostTensor } from '../api/tensor.js';
import type { Value } from '../graph/graph.js';
import { quote, word } from '../graph/text.js';
import { printType, staticShape } from '../graph/types.js';
import type { DType } from '../ir/dtype.js';
import { readTensorProto } from '../frontend/onnx/index.js';
import { arrayOf } from '../runtime/arrays.js';
import { UsageError } from './usage.js';

export interface Feed {
  readonly tensor: Tensor;
  /** where the data came from, for the report: `random, seed 1` or the file */
  readonly origin: string;
}

type Source = { readonly kind: 'dims'; readonly dims: readonly number[] } | { readonly kind: 'file'; readonly path: string };

const DIMS = /^\d+(?:x\d+)*$/;

/** Parses `NAME=SPEC` options against the model's input names (a name may itself contain `=`). */
export function parseInputs(specs: readonly string[], inputs: readonly Value[]): Map<string, Source> {
  const out = new Map<string, Source>();
  for (const spec of specs) {
    const input = inputs.find((v) => spec.startsWith(`${v.name}=`));
    if (input === undefined) {
      throw new UsageError(`--input ${quote(spec)} names no input of the model (its inputs: ${inputs.map((v) => quote(v.name)).join(', ')})`);
    }
    const text = spec.slice(input.name.length + 1);
    const source: Source = DIMS.test(text) ? { kind: 'dims', dims: text.split('x').map(Number) } : { kind: 'file', path: text };
    out.set(input.name, source);
  }
  return out;
}

/** xorshift32 in [0, 1): tiny, deterministic, and the same on every platform. */
function generator(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Random data beyond this many elements is a typo, not a model input (and would not fit a typed array). */
const MAX_ELEMENTS = 2 ** 30;

/** Uniform floats in [-1, 1), integers in [0, 10), bools 0/1. */
function randomTensor(name: string, dtype: DType, dims: readonly number[], seed: number): Tensor {
  const next = generator(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  if (n > MAX_ELEMENTS) throw new UsageError(`--input ${word(name)}=${dims.join('x')} has ${n} elements, more than ${MAX_ELEMENTS}`);
  const data = arrayOf(dtype, dims);
  if (data instanceof BigInt64Array) data.forEach((_, i) => (data[i] = BigInt(Math.floor(next() * 10))));
  else if (dtype === 'float32' || dtype === 'float64') data.forEach((_, i) => (data[i] = next() * 2 - 1));
  else if (dtype === 'bool') data.forEach((_, i) => (data[i] = next() < 0.5 ? 1 : 0));
  else data.forEach((_, i) => (data[i] = Math.floor(next() * 10)));
  return new Tensor(dtype, data, dims);
}

function readFeedFile(file: string, input: Value): Tensor {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String(e.code) : 'unknown error';
    throw new UsageError(`--input ${quote(input.name)}: cannot read ${quote(file)} (${code}); give dims like 1x3x224x224 or a TensorProto .pb file`);
  }
  return fromHostTensor(readTensorProto(bytes));
}

/** One feed per model input, from the parsed options or the input's static shape. */
export function makeFeeds(inputs: readonly Value[], sources: ReadonlyMap<string, Source>, seed: number): Map<string, Feed> {
  const feeds = new Map<string, Feed>();
  inputs.forEach((v, k) => {
    const source = sources.get(v.name);
    if (source?.kind === 'file') {
      feeds.set(v.name, { tensor: readFeedFile(source.path, v), origin: source.path });
      return;
    }
    const dims = source?.dims ?? (v.type && staticShape(v.type.shape));
    if (!dims || !v.type) {
      throw new UsageError(`input ${quote(v.name)} has shape ${printType(v.type)}: give its dims with --input ${word(v.name)}=DIMS (like 1x3x224x224)`);
    }
    feeds.set(v.name, { tensor: randomTensor(v.name, v.type.dtype, dims, seed + k), origin: `random, seed ${seed + k}` });
  });
  return feeds;
}

/** Copies of `outputs`, each a tensor of its own to pass as a fetch (`run(feeds, fetches)`). */
export function fetchesLike(outputs: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, new Tensor(t.type, t.data.slice() as Tensor['data'], t.dims)]));
}

/** The feeds as the record a session's `run` takes. */
export function feedRecord(feeds: ReadonlyMap<string, Feed>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, f] of feeds) Object.defineProperty(out, name, { value: f.tensor, enumerable: true });
  return out;
}
